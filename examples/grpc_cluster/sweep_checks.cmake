# The checks every cluster sweep's smoke test makes of its report (summary.json, table.md and the
# other files), included by check_smoke.cmake and related_queries/cluster_smoke_test.cmake.

# Runs the sweep `frontend` in its smoke configuration (extra flags in ARGN) writing to `out`;
# fails with the sweep's error output on a non-zero exit.
function(run_sweep_smoke frontend out)
  file(REMOVE_RECURSE ${out})
  execute_process(
    COMMAND ${frontend} --smoke --out ${out} --quiet ${ARGN}
    RESULT_VARIABLE code OUTPUT_VARIABLE stdout ERROR_VARIABLE err TIMEOUT 280)
  message("${stdout}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "front end exited with ${code}:\n${err}")
  endif()
endfunction()

# Result `i` of `json`: no lost query, every query accounted for (ok + missing), every round
# reported, latencies in order, and nothing missing where a fallback backs the policy.
function(check_sweep_row json i where)
  string(JSON rounds GET "${json}" config rounds)
  string(JSON per_round GET "${json}" config queries_per_round)
  math(EXPR expected_queries "${rounds} * ${per_round}")
  foreach(field policy lost queries ok missing_count rounds_reported p50_ms p99_ms p999_ms)
    string(JSON ${field} GET "${json}" results ${i} ${field})
  endforeach()
  if(NOT lost EQUAL 0)
    message(FATAL_ERROR "${where}: ${lost} lost queries")
  endif()
  math(EXPR accounted "${ok} + ${missing_count}")
  if(NOT queries EQUAL expected_queries OR NOT accounted EQUAL queries OR ok LESS 1)
    message(FATAL_ERROR "${where}: ok ${ok} + missing ${missing_count} != queries ${queries} (expected ${expected_queries})")
  endif()
  if(NOT rounds_reported EQUAL rounds)
    message(FATAL_ERROR "${where}: ${rounds_reported} rounds reported, expected ${rounds}")
  endif()
  if(p50_ms LESS_EQUAL 0 OR p99_ms LESS p50_ms OR p999_ms LESS p99_ms)
    message(FATAL_ERROR "${where}: implausible latencies ${p50_ms} / ${p99_ms} / ${p999_ms}")
  endif()
  # A dead worker's queries: the fallback answers them (uncoded: nothing else can; systematic
  # codes decode them from the companions when one answered, so they need not use it).
  if(policy MATCHES "_fallback$|_sys$|_sys_gated$" AND NOT missing_count EQUAL 0)
    message(FATAL_ERROR "${where}: ${missing_count} missing, expected 0 (the fallback answers what cannot be decoded)")
  endif()
endfunction()

# Fails unless at least one result at `ratio` is on the frontier.
function(check_sweep_frontier json ratio)
  string(JSON count LENGTH "${json}" results)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON r_ratio GET "${json}" results ${i} ratio)
    string(JSON on_frontier GET "${json}" results ${i} on_frontier)
    if(r_ratio EQUAL ratio AND (on_frontier STREQUAL "ON" OR on_frontier STREQUAL "true"))
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "N/K ${ratio}: no configuration on the frontier")
endfunction()

# Fails unless `file` contains every text of ARGN.
function(require_texts file)
  file(READ ${file} content)
  foreach(text IN LISTS ARGN)
    string(FIND "${content}" "${text}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${file} has no \"${text}\"")
    endif()
  endforeach()
endfunction()

# Fails unless every file of ARGN exists in `dir`.
function(require_files dir)
  foreach(file IN LISTS ARGN)
    if(NOT EXISTS ${dir}/${file})
      message(FATAL_ERROR "no ${file} in ${dir}")
    endif()
  endforeach()
endfunction()
