# Turn file IN into a C source OUT defining, for SYMBOL (default
# meshgate_builtin_scenario),
#   const char SYMBOL[]; (NUL-terminated)
#   const unsigned long SYMBOL_len;
if(NOT SYMBOL)
  set(SYMBOL meshgate_builtin_scenario)
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\n"
  "const char ${SYMBOL}[] = {${bytes} 0x00};\n"
  "const unsigned long ${SYMBOL}_len = ${len};\n")
