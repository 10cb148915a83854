# Wraps a text file into a C++ source defining `const char* const SYMBOL`
# (declared in tests/emulator/discovery.h) as a raw
# string literal, so the binary needs no data files at run time.
#   cmake -DIN=file -DOUT=file.cc -DSYMBOL=name -P embed_file.cmake
file(READ "${IN}" content)
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by embed_file.cmake. Do not edit.\n"
  "#include \"tests/emulator/discovery.h\"\nnamespace gdmount::emulator {\n"
  "const char* const ${SYMBOL} = R\"GDMOUNT_EMBED(${content})GDMOUNT_EMBED\";\n"
  "}  // namespace gdmount::emulator\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
