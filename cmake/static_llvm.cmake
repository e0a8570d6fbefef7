# CR1_STATIC_LLVM: a compiler-r1 binary that runs on a machine with no LLVM (the GPU machine: Ubuntu 24.04,
# newer glibc, no network), carried there by scripts/gpu/pack_cpu_job.sh. Included from the top
# CMakeLists.txt after src/, it swaps the shared libraries that the layers link for static ones:
#   LLVM (Debian's libLLVM.so)   -> the static component archives (libLLVM*.a): the native target only
#                                   (CR1_NATIVE_TARGET_ONLY, below; OFF: all targets, as opt has)
#   fmt, spdlog                  -> their header-only forms (Debian ships no static archives)
#   SQLite, PCRE2, ICU           -> libsqlite3.a, libpcre2-8.a, libicuuc.a (+ libicudata.a: CR1_STATIC_ICU_DATA)
# and links with --as-needed (LLVMSupport names libz3 and libxml2, which nothing we link calls) and
# --gc-sections. What stays dynamic: libc, libm, libstdc++, libgcc_s, libz, libzstd (all on the GPU
# machine), and cpp-httplib, which Debian ships only as a shared library: it and what it needs (OpenSSL,
# brotli) are copied beside the binary into lib/ and found through an rpath $ORIGIN/lib (a DT_RPATH, so
# that it also applies to the copied libraries' own dependencies).
# Use with -DCR1_WITH_TORCH=OFF (the GPU machine has pip's torch, not Debian's). `ldd` must show no libLLVM.
option(CR1_STATIC_LLVM "Link LLVM and the small dependencies statically (portable compiler-r1)" OFF)
if(NOT CR1_STATIC_LLVM)
  return()
endif()
if(CR1_WITH_TORCH)
  message(FATAL_ERROR "CR1_STATIC_LLVM needs -DCR1_WITH_TORCH=OFF (libtorch is not carried)")
endif()

# All 21 targets are most of the binary (21 MiB of xz). Our IR is the host's (clang here, the corpora), so
# by default only the native target is linked and initialised (ir/pipeline_runner.cpp); a module for
# another target is then an error, not counts that silently differ from opt's.
option(CR1_NATIVE_TARGET_ONLY "With CR1_STATIC_LLVM, link only the native LLVM target (${LLVM_NATIVE_ARCH})" ON)
if(CR1_NATIVE_TARGET_ONLY)
  set(CR1_STATIC_LLVM_TARGETS ${LLVM_NATIVE_ARCH})
  target_compile_definitions(cr1_ir PRIVATE CR1_NATIVE_TARGET_ONLY=1)
else()
  set(CR1_STATIC_LLVM_TARGETS ${LLVM_TARGETS_TO_BUILD})
endif()
# The same components as the shared-library-free branch of src/CMakeLists.txt.
llvm_map_components_to_libnames(CR1_STATIC_LLVM_LIBS
  core irreader bitreader bitwriter linker passes transformutils analysis target ${CR1_STATIC_LLVM_TARGETS})
foreach(lib IN LISTS CR1_STATIC_LLVM_LIBS)
  get_target_property(type ${lib} TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY")
    message(FATAL_ERROR "CR1_STATIC_LLVM: ${lib} is not a static LLVM library (${type})")
  endif()
endforeach()
add_library(cr1_static_llvm INTERFACE)
target_link_libraries(cr1_static_llvm INTERFACE ${CR1_STATIC_LLVM_LIBS})

# A static archive by its full name, as an INTERFACE target that links it (and what it needs).
function(cr1_static_archive target)
  cmake_parse_arguments(A "" "" "NAMES;INCLUDES;DEPS" ${ARGN})
  set(paths)
  foreach(name IN LISTS A_NAMES)
    find_library(CR1_STATIC_${name} NAMES lib${name}.a REQUIRED)
    list(APPEND paths ${CR1_STATIC_${name}})
  endforeach()
  add_library(${target} INTERFACE)
  target_link_libraries(${target} INTERFACE ${paths} ${A_DEPS})
  if(A_INCLUDES)
    target_include_directories(${target} INTERFACE ${A_INCLUDES})
  endif()
endfunction()
pkg_check_modules(CR1_PC_PCRE2 REQUIRED libpcre2-8)
pkg_check_modules(CR1_PC_ICU REQUIRED icu-uc)
cr1_static_archive(cr1_static_pcre2 NAMES pcre2-8 INCLUDES ${CR1_PC_PCRE2_INCLUDE_DIRS})
# ICU's 30 MB of common data (7 MB of the carried 60 with xz) serve the tokenizer nothing: NFC and character
# properties are built into libicuuc. Without it, a stand-in block (cmake/icu_without_data.c) fills its symbol.
option(CR1_STATIC_ICU_DATA "With CR1_STATIC_LLVM, link ICU's common data (NFKC/NFKD tokenizers need it)" OFF)
if(CR1_STATIC_ICU_DATA)
  cr1_static_archive(cr1_static_icu NAMES icuuc icudata INCLUDES ${CR1_PC_ICU_INCLUDE_DIRS}
    DEPS Threads::Threads ${CMAKE_DL_LIBS} m)
else()
  add_library(cr1_icu_without_data STATIC ${CMAKE_CURRENT_LIST_DIR}/icu_without_data.c)
  target_include_directories(cr1_icu_without_data PRIVATE ${CR1_PC_ICU_INCLUDE_DIRS})
  cr1_static_archive(cr1_static_icu NAMES icuuc INCLUDES ${CR1_PC_ICU_INCLUDE_DIRS}
    DEPS cr1_icu_without_data Threads::Threads ${CMAKE_DL_LIBS} m)
endif()

find_library(CR1_STATIC_sqlite3 NAMES libsqlite3.a REQUIRED)
set_target_properties(SQLite::SQLite3 PROPERTIES IMPORTED_LOCATION "${CR1_STATIC_sqlite3}"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
# spdlog's header-only target links the compiled fmt: point it at fmt's header-only target too.
set_target_properties(spdlog::spdlog_header_only PROPERTIES
  INTERFACE_LINK_LIBRARIES "Threads::Threads;fmt::fmt-header-only")

# Replace one linked name by another in every target of these folders (direct and $<LINK_ONLY:>).
function(cr1_swap_links from to)
  foreach(dir IN ITEMS ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      foreach(prop IN ITEMS LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
        get_target_property(libs ${t} ${prop})
        if(NOT libs)
          continue()
        endif()
        set(out)
        foreach(l IN LISTS libs)
          if(l STREQUAL from)
            set(l ${to})
          elseif(l STREQUAL "$<LINK_ONLY:${from}>")
            set(l "$<LINK_ONLY:${to}>")
          endif()
          list(APPEND out "${l}")
        endforeach()
        set_property(TARGET ${t} PROPERTY ${prop} "${out}")
      endforeach()
    endforeach()
  endforeach()
endfunction()
cr1_swap_links(LLVM cr1_static_llvm)
cr1_swap_links(fmt::fmt fmt::fmt-header-only)
cr1_swap_links(spdlog::spdlog spdlog::spdlog_header_only)
cr1_swap_links(PkgConfig::PCRE2 cr1_static_pcre2)
cr1_swap_links(PkgConfig::ICU cr1_static_icu)

target_link_options(compiler-r1 PRIVATE -Wl,--as-needed -Wl,--gc-sections -Wl,--disable-new-dtags)
set_target_properties(compiler-r1 PROPERTIES BUILD_RPATH "\$ORIGIN/lib" INSTALL_RPATH "\$ORIGIN/lib")
list(LENGTH CR1_STATIC_LLVM_LIBS n)
message(STATUS "CR1_STATIC_LLVM: compiler-r1 links ${n} static LLVM libraries (targets: ${CR1_STATIC_LLVM_TARGETS}); rpath $ORIGIN/lib")
