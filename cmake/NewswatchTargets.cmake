# Project-wide target conventions: warnings, sanitizers, ISA flags.

function(newswatch_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align)
  # GCC 12 reports "-Wrestrict" inside libstdc++ for `"literal" + std::string&&` at -O2 and
  # above (GCC bug 105651, fixed in 13): a false positive, not a problem in our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  # With sanitizers at -O1, GCC's -Wmaybe-uninitialized fires inside libstdc++ (<regex>,
  # <functional>, <optional>): false positives of the instrumentation, not of our code.
  if(NEWSWATCH_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(NEWSWATCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(NEWSWATCH_ARCH_FLAGS)
    target_compile_options(${target} PRIVATE ${NEWSWATCH_ARCH_FLAGS})
  endif()
endfunction()

# newswatch_library(name SOURCES ... DEPS ...): one pipeline stage = one static library.
function(newswatch_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  newswatch_target_defaults(${name})
endfunction()

if(NEWSWATCH_SANITIZE)
  add_compile_options(-fsanitize=${NEWSWATCH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${NEWSWATCH_SANITIZE})
endif()

# Fuzzing: instrument every library for coverage, so libFuzzer sees the code under test and
# not only the target's own file (the fuzzer executables add -fsanitize=fuzzer themselves).
if(NEWSWATCH_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
