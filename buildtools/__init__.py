"""What only the build (build.py), the benchmarks and the tests use, kept out of the pynn wheel
that the page downloads: the fonts' digits (styles), the shipped model's recipe and its checks
(pretrained), compiling Pyodide's Python (pyodide_compile), ONNX's schema for the page
(onnx_assets) and the wheel's build hook (hatch_build).  Imported from the repository's root."""
