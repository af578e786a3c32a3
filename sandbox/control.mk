# Compute Engine, guest runner, Vertex AI, Monitoring, Confidential Computing modules.
SB_CONTROL_SRC =
