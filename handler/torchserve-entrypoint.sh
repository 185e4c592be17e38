#!/bin/sh
# Start TorchServe serving toxic-bert in the foreground: the TorchServe image's
# command. The test suite runs this same script against the demo archive.
# A rollout's candidate version (docs/rollouts.md), when the model store holds
# toxic-bert-candidate.mar (mounted by docker-compose.candidate.yml), is served
# beside the primary; the primary is loaded first, so it is the default version.
set -eu
TS_CONFIG="${TS_CONFIG:-/home/model-server/config/config.properties}"
MODEL_STORE="${MODEL_STORE:-/home/model-server/model-store}"
set -- toxic-bert=toxic-bert.mar
if [ -e "$MODEL_STORE/toxic-bert-candidate.mar" ]; then
  set -- "$@" toxic-bert=toxic-bert-candidate.mar
fi
exec torchserve --start --foreground --ncs \
  --ts-config "$TS_CONFIG" \
  --model-store "$MODEL_STORE" \
  --models "$@" \
  --disable-token-auth
