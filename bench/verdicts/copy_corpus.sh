#!/bin/sh
# Copies the real public logs of tests/data (see tests/data/PROVENANCE.tsv: repository,
# path, commit of each) into bench/verdicts/runs/corpus-*/, one run folder each, under the
# file names their tools write. Run from the repository root. The provenance of each copy
# is in bench/verdicts/PROVENANCE.tsv.
set -e
D=tests/data
R=bench/verdicts/runs
put() { mkdir -p "$R/$2"; cp "$D/$1" "$R/$2/$3"; }
put hf/hf_trainer_state__Anitha1406__English_To_Colloquial_Telugu_Translation_model__trainer_state.json corpus-hf-telugu trainer_state.json
put hf/hf_trainer_state__HenokB__amharic-to-geez__trainer_state.json corpus-hf-geez trainer_state.json
put hf/hf_trainer_state__Lanor-Jephthah1__NLLB-Twi-QLoRA__metrics_trainer_state_phase2_final.json corpus-hf-twi trainer_state.json
put hf/hf_trainer_state__Mubashir214__Decoder-Only-GPT-2-or-LLaMA-Pseudo-code-to-Code-C-Generation__trainer_state.json corpus-hf-codegen trainer_state.json
put hf/hf_trainer_state__khushpatel2002__method-comment-generation__model_trainer_state.json corpus-hf-empty trainer_state.json
put hf/hf_trainer_state__kunaljangid01__nlp_assignment_transformer__checkpoint-2000_trainer_state.json corpus-hf-checkpoint trainer_state.json
put hf/hf_trainer_state__rnpcs__philschmid-bart-large-cnn-samsum__trainer_state.json corpus-hf-bart trainer_state.json
put lightning/pl_metrics_csv__BvoJa__GPTTT__lightning_logs_version_0_metrics.csv corpus-pl-gpttt metrics.csv
put lightning/pl_hparams_yaml__BvoJa__GPTTT__lightning_logs_version_0_hparams.yaml corpus-pl-gpttt hparams.yaml
put lightning/pl_metrics_csv__Melissasssss__TurnGPT__lightning_logs_version_0_metrics.csv corpus-pl-turngpt metrics.csv
put lightning/pl_hparams_yaml__Melissasssss__TurnGPT__lightning_logs_version_0_hparams.yaml corpus-pl-turngpt hparams.yaml
put lightning/pl_metrics_csv__Goreg12345__nlp2-probing-lms__lightning_logs_version_0_metrics.csv corpus-pl-probing metrics.csv
put keras/keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log corpus-keras-emotion training.log
put jsonl/jsonl__Yvonne530__HealthAI-OPPO-2026__trainer_log.jsonl corpus-jsonl-healthai trainer_log.jsonl
put jsonl/jsonl__aa-n__Qwen3_Lora__trainer_log.jsonl corpus-jsonl-qwen trainer_log.jsonl
put text_log/opennmt_log__BitMap4__morphological-inflections__train.log corpus-opennmt train.log
put text_log/plaintext_log__BVLC__caffe__train.log corpus-caffe train.log
put text_log/plaintext_log__GuoxiangJiang__Transformer-in-en-de-trans__logs_train.log corpus-marian-nohup train.log
put csv/other_csv__MrP539__Text_Machine_Translation_opus-mt-en-fr_finetune_kde4__results_training_log.csv corpus-csv-opus training_log.csv
mkdir -p "$R/corpus-mlflow-deepcnn"
cp -r "$D/mlflow/mlruns/0/cb0096518b0e4c66a94428555f05420b/." "$R/corpus-mlflow-deepcnn/"
