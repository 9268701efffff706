# Turn file IN into a C source OUT defining
#   const char meshgate_builtin_scenario[]; (NUL-terminated)
#   const unsigned long meshgate_builtin_scenario_len;
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\n"
  "const char meshgate_builtin_scenario[] = {${bytes} 0x00};\n"
  "const unsigned long meshgate_builtin_scenario_len = ${len};\n")
