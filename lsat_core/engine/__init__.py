"""The period loop: experiment config, the models it trains, the loop that records results."""
