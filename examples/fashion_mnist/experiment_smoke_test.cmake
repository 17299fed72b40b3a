# Smoke run of the experiment: trains the smoke LeNet5 into a fresh cache, runs a few trials
# per S, requires NeRCC's MSE below Berrut's, 2-opt ordering's below no ordering, and clustered
# worker points' RelAcc (with 2-opt) at least 2-opt's alone, and checks every output file.
# Run with -DEXPERIMENT=<program> -DDATA_DIR=<dir> -DWORK_DIR=<dir> -DPLOTS=ON|OFF.
file(REMOVE_RECURSE ${WORK_DIR})
set(plot_flag)
if(NOT PLOTS)
  set(plot_flag --no-plots)
endif()
execute_process(
  COMMAND ${EXPERIMENT} --smoke --quiet --threads 1 --data-dir ${DATA_DIR} --cache-dir ${WORK_DIR}/cache
          --out ${WORK_DIR}/out --require-nercc-below-berrut --require-ordering-helps
          --require-clustering-helps ${plot_flag}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit code ${rc}\n${out}\n${err}")
endif()
message(STATUS "${out}")

# Smoke shapes 20x10 and 60x10 at S = 0, 3, ..., N/2: 4 + 11 points, 14 schemes each.
file(STRINGS ${WORK_DIR}/out/results.csv lines)
list(LENGTH lines count)
if(NOT count EQUAL 211)
  message(FATAL_ERROR "results.csv has ${count} lines, expected a header and 210 rows")
endif()
file(GLOB weights ${WORK_DIR}/cache/*.pt)
if(NOT weights)
  message(FATAL_ERROR "no weights were cached in ${WORK_DIR}/cache")
endif()
set(expected results.md)
if(PLOTS)
  foreach(stem lenet5_N20_K10 lenet5_N60_K10)
    list(APPEND expected ${stem}_mse.png ${stem}_relacc.png)
  endforeach()
endif()
foreach(file ${expected})
  if(NOT EXISTS ${WORK_DIR}/out/${file})
    message(FATAL_ERROR "missing output ${file}")
  endif()
endforeach()
