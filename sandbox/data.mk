# Cloud KMS and Cloud Storage modules of the sandbox.
SB_DATA_SRC =
