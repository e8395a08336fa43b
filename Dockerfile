# The LSAT Studio image, for the workers and the dashboard of docker-compose.yml. The PyTorch
# base brings a CUDA build of torch (a GPU is used when the container is given one); our
# dependency range admits it, so `pip install` keeps it.
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

WORKDIR /opt/lsat-studio
COPY pyproject.toml README.md ./
COPY lsat_core lsat_core
COPY worker worker
COPY app app
COPY cli cli
RUN pip install --no-cache-dir .

# Caches, adapters and the embedded store live on the data volume.
ENV LSAT_DATA_DIR=/data
VOLUME /data
