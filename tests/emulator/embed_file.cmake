# Wraps a text file into a C++ source defining `const char* SYMBOL` (raw
# string literal), so the binary needs no data files at run time.
#   cmake -DIN=file -DOUT=file.cc -DSYMBOL=name -P embed_file.cmake
file(READ "${IN}" content)
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by embed_file.cmake. Do not edit.\n"
  "namespace gdmount::emulator {\n"
  "extern const char* const ${SYMBOL};\n"
  "const char* const ${SYMBOL} = R\"GDMOUNT_EMBED(${content})GDMOUNT_EMBED\";\n"
  "}  // namespace gdmount::emulator\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
