# Copies one of containerd's .proto files without its gogoproto and containerd-plugin
# options, which protoc's C++ generator cannot take (it aborts on `import weak`).
# Usage: cmake -DIN=<file> -DOUT=<file> -P strip_gogo.cmake
file(READ "${IN}" text)
string(REGEX REPLACE "import (weak )?\"gogoproto/gogo.proto\";" "" text "${text}")
string(REGEX REPLACE "import weak \"[^\"]*fieldpath.proto\";" "" text "${text}")
string(REGEX REPLACE "option \\((gogoproto|containerd\\.plugin)\\.[a-z_]+\\) = [^;]+;" "" text
       "${text}")
string(REGEX REPLACE " *\\[\\(gogoproto[^]]*\\]" "" text "${text}")
file(WRITE "${OUT}" "${text}")
