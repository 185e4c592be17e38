#!/bin/sh
# Start TorchServe in the foreground: the TorchServe image's command. Every setting comes
# from config.properties (TS_CONFIG_FILE, which TorchServe reads itself) and TS_* variables;
# this script decides one thing only, what to load. A rollout's candidate version
# (docs/rollouts.md), when the model store holds <model>-candidate.mar (mounted by
# docker-compose.candidate.yml), is loaded beside the primary; the primary comes first,
# so it is the default version. The test suite runs this script against the demo archive.
set -eu
: "${TS_CONFIG_FILE:?set TS_CONFIG_FILE to TorchServe's config.properties}"
property() { sed -n "s/^$1=//p" "$TS_CONFIG_FILE"; }
# TS_* variables win over the file, as in TorchServe (enable_envvars_config).
store="${TS_MODEL_STORE:-$(property model_store)}"
primary="${TS_LOAD_MODELS:-$(property load_models)}"
model="${primary%.mar}"
if [ -e "$store/$model-candidate.mar" ]; then
  export TS_LOAD_MODELS="$model=$primary,$model=$model-candidate.mar"
fi
# TorchServe's launcher finds the store in the file or this flag, never in TS_MODEL_STORE.
exec torchserve --start --foreground --ncs --model-store "$store"
