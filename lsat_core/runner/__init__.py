"""Runs experiments: the period loop, the work plan and the assembly of a workbench.

The layer above the strategies: it looks them up by name. `lsat_core.engine` (specs, sample sets,
families, workbench, configs) is the layer the strategies build on and imports neither."""
