# Locates the Arrow C++ shipped inside the pyarrow wheel and declares IMPORTED targets
# for it. There is exactly one Arrow in the process: the wheel's (shared/BUILDING.md).
execute_process(
  COMMAND "${Python_EXECUTABLE}" -c
    "import pyarrow; pyarrow.create_library_symlinks(); print(pyarrow.get_include()); print(pyarrow.get_library_dirs()[0]); print(pyarrow.__version__)"
  OUTPUT_VARIABLE _pyarrow_out
  RESULT_VARIABLE _pyarrow_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pyarrow_rc EQUAL 0)
  message(FATAL_ERROR "pyarrow is required to build codeanatomy (pip install 'pyarrow==26.*')")
endif()
string(REPLACE "\n" ";" _pyarrow_lines "${_pyarrow_out}")
list(GET _pyarrow_lines 0 PYARROW_INCLUDE_DIR)
list(GET _pyarrow_lines 1 PYARROW_LIBRARY_DIR)
list(GET _pyarrow_lines 2 PYARROW_VERSION)
string(REGEX MATCH "^[0-9]+" PYARROW_MAJOR "${PYARROW_VERSION}")
if(NOT PYARROW_MAJOR STREQUAL "26")
  message(FATAL_ERROR "codeanatomy pins pyarrow 26.*; found ${PYARROW_VERSION}")
endif()
message(STATUS "Arrow C++ from pyarrow ${PYARROW_VERSION}: ${PYARROW_LIBRARY_DIR}")

# The wheel's libraries must use the same libstdc++ ABI as our compiler (new ABI).
find_program(NM_EXECUTABLE nm)
if(NM_EXECUTABLE)
  execute_process(COMMAND ${NM_EXECUTABLE} -D --defined-only "${PYARROW_LIBRARY_DIR}/libarrow.so"
                  OUTPUT_VARIABLE _arrow_syms ERROR_QUIET)
  string(FIND "${_arrow_syms}" "__cxx11" _cxx11_pos)
  if(_cxx11_pos EQUAL -1)
    message(FATAL_ERROR "libarrow from pyarrow does not use the C++11 libstdc++ ABI; "
                        "rebuilding against it would crash at run time")
  endif()
endif()

foreach(_lib arrow arrow_compute arrow_acero arrow_dataset parquet arrow_substrait)
  add_library(Arrow::${_lib} SHARED IMPORTED GLOBAL)
  set_target_properties(Arrow::${_lib} PROPERTIES
    IMPORTED_LOCATION "${PYARROW_LIBRARY_DIR}/lib${_lib}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_INCLUDE_DIR}")
endforeach()
