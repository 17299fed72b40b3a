# Weight cache round trip: train and store, load, retrain over a corrupt file and over a file
# written for another configuration. Run with -DTRAIN=<cli> -DDATA_DIR=<dir> -DCACHE_DIR=<dir>.
file(REMOVE_RECURSE ${CACHE_DIR})

# run(<expected source> <stderr regex or "">)
function(run source stderr_regex)
  execute_process(
    COMMAND ${TRAIN} --smoke --quiet --threads 1 --data-dir ${DATA_DIR} --cache-dir ${CACHE_DIR} ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exit code ${rc}\n${out}\n${err}")
  endif()
  if(NOT out MATCHES "source ${source}\n")
    message(FATAL_ERROR "expected source ${source}:\n${out}\n${err}")
  endif()
  if(stderr_regex AND NOT err MATCHES "${stderr_regex}")
    message(FATAL_ERROR "expected stderr to match '${stderr_regex}':\n${err}")
  endif()
  string(REGEX MATCH "test_accuracy [0-9.]+" acc "${out}")
  set(accuracy "${acc}" PARENT_SCOPE)
endfunction()

run(trained "")
set(trained_accuracy "${accuracy}")
file(GLOB files ${CACHE_DIR}/*.pt)
list(LENGTH files count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one cache file in ${CACHE_DIR}, found: ${files}")
endif()

run(cache "")
if(NOT accuracy STREQUAL trained_accuracy)
  message(FATAL_ERROR "loaded weights give ${accuracy}, trained ones gave ${trained_accuracy}")
endif()

# The same weights under another configuration's name are a mismatch, not a hit.
string(REPLACE "-s1-" "-s2-" other ${files})
execute_process(COMMAND ${CMAKE_COMMAND} -E copy ${files} ${other})
run(trained "was written for" --seed 2)
run(cache "" --seed 2)

file(WRITE ${files} "not a torch archive")
run(trained "unreadable.*retraining")
run(cache "")
if(NOT accuracy STREQUAL trained_accuracy)
  message(FATAL_ERROR "retrained weights give ${accuracy}, the first training gave ${trained_accuracy}")
endif()
