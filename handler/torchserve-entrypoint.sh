#!/bin/sh
# Start TorchServe serving toxic-bert in the foreground: the TorchServe image's
# command. The test suite runs this same script against the demo archive.
set -eu
TS_CONFIG="${TS_CONFIG:-/home/model-server/config/config.properties}"
MODEL_STORE="${MODEL_STORE:-/home/model-server/model-store}"
exec torchserve --start --foreground --ncs \
  --ts-config "$TS_CONFIG" \
  --model-store "$MODEL_STORE" \
  --models toxic-bert=toxic-bert.mar \
  --disable-token-auth
