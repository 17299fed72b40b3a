# Smoke run of the reliability measurement: trains the smoke LeNet5 into a fresh cache, runs the
# tiny configuration with --check (every table row present, every AUC in [0, 1], every exact
# answer agrees, the decoder's reliability equals the program's own), and checks the outputs.
# Run with -DPROGRAM=<program> -DDATA_DIR=<dir> -DWORK_DIR=<dir> -DPLOTS=ON|OFF.
file(REMOVE_RECURSE ${WORK_DIR})
set(plot_flag)
if(NOT PLOTS)
  set(plot_flag --no-plots)
endif()
execute_process(
  COMMAND ${PROGRAM} --smoke --check --quiet --threads 1 --data-dir ${DATA_DIR} --cache-dir ${WORK_DIR}/cache
          --out ${WORK_DIR}/out ${plot_flag}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit code ${rc}\n${out}\n${err}")
endif()
message(STATUS "${out}")

# K = 4, N = 6 and 8: S = 1..2 and 1..4 plus a pooled row each (3 + 5), for 4 configurations.
file(STRINGS ${WORK_DIR}/out/results.csv lines)
list(LENGTH lines count)
if(NOT count EQUAL 33)
  message(FATAL_ERROR "results.csv has ${count} lines, expected a header and 32 rows")
endif()
# Every AUC cell is a number in [0, 1] or nan (one class absent at that S).
list(GET lines 0 header)
string(REPLACE "," ";" header "${header}")
list(SUBLIST lines 1 -1 rows)
foreach(row ${rows})
  string(REPLACE "," ";" cells "${row}")
  set(i 0)
  foreach(name ${header})
    list(GET cells ${i} v)
    if(name MATCHES "_(auc|lo|hi)$" AND NOT v MATCHES "^(nan|-nan|0(\\.[0-9]+)?|1(\\.0+)?|[0-9](\\.[0-9]+)?e-[0-9]+)$")
      message(FATAL_ERROR "${name} = ${v} is not in [0, 1] in: ${row}")
    endif()
    math(EXPR i "${i} + 1")
  endforeach()
endforeach()
set(expected results.md)
if(PLOTS)
  list(APPEND expected relacc_vs_fallback_systematic.png relacc_vs_fallback_default.png)
endif()
foreach(file ${expected})
  if(NOT EXISTS ${WORK_DIR}/out/${file})
    message(FATAL_ERROR "missing output ${file}")
  endif()
endforeach()
