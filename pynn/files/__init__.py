"""Files: model files written and read (JSON, .npz), everything from outside read as untrusted,
ONNX export and import, and a network written out as plain numpy Python."""
