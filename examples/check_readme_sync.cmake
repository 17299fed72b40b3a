# The README shows quickstart.cpp from its first template to the end, verbatim.
file(READ ${README} readme)
file(READ ${SOURCE} source)
string(FIND "${source}" "template <class Scheme>" start)
string(SUBSTRING "${source}" ${start} -1 body)
string(FIND "${readme}" "${body}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "README.md's quick start differs from ${SOURCE}")
endif()
