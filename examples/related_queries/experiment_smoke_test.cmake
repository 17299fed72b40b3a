# Smoke run of the related-query experiment: trains the smoke forecaster, requires it to beat
# persistence on the test year, requires every code's estimates to be closer to the model on
# related groups than on unrelated ones, every lost query to be estimated (finite), and checks
# every output file. Run with -DEXPERIMENT=<program> -DDATA=<csv> -DWORK_DIR=<dir> -DPLOTS=ON|OFF.
file(REMOVE_RECURSE ${WORK_DIR})
set(plot_flag)
if(NOT PLOTS)
  set(plot_flag --no-plots)
endif()
execute_process(
  COMMAND ${EXPERIMENT} --smoke --quiet --data ${DATA} --out ${WORK_DIR}
          --require-model-beats-persistence --require-related-helps ${plot_flag}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit code ${rc}\n${out}\n${err}")
endif()
message(STATUS "${out}")

# Smoke: K = 8, N = 10 and 12, S = 1; related and unrelated x systematic and Chebyshev x spline and Berrut.
file(STRINGS ${WORK_DIR}/results.csv lines)
list(LENGTH lines count)
if(NOT count EQUAL 17)
  message(FATAL_ERROR "results.csv has ${count} lines, expected a header and 16 rows")
endif()
# Every row: the ridge fallback's error is positive and the coded estimate's finite.
list(REMOVE_AT lines 0)
foreach(line ${lines})
  string(REPLACE "," ";" fields "${line}")
  list(GET fields 12 coded)
  list(GET fields 13 fallback)
  if(NOT coded MATCHES "^[0-9.e+-]+$" OR NOT fallback MATCHES "^[0-9.e+-]+$" OR NOT fallback GREATER 0)
    message(FATAL_ERROR "bad errors in row: ${line}")
  endif()
endforeach()
set(expected results.md)
if(PLOTS)
  list(APPEND expected related_queries.png)
endif()
foreach(file ${expected})
  if(NOT EXISTS ${WORK_DIR}/${file})
    message(FATAL_ERROR "missing output ${file}")
  endif()
endforeach()
file(READ ${WORK_DIR}/results.md md)
if(NOT md MATCHES "\\| K \\| N \\| N/K \\| S \\| code")
  message(FATAL_ERROR "results.md has no results table:\n${md}")
endif()
