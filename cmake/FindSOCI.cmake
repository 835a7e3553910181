# Finds SOCI 4.0 with its SQLite3 and PostgreSQL backends (Debian libsoci-dev).
# Defines the imported targets SOCI::core, SOCI::sqlite3 and SOCI::postgresql.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_path(SOCI_PQ_INCLUDE_DIR libpq-fe.h PATH_SUFFIXES postgresql)
find_library(SOCI_CORE_LIBRARY soci_core)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql)
find_library(SOCI_SQLITE3_C_LIBRARY sqlite3)
find_library(SOCI_PQ_LIBRARY pq)
if(SOCI_INCLUDE_DIR AND EXISTS "${SOCI_INCLUDE_DIR}/soci/version.h")
  file(STRINGS "${SOCI_INCLUDE_DIR}/soci/version.h" soci_version_line
       REGEX "^#define SOCI_VERSION [0-9]+")
  string(REGEX REPLACE ".*SOCI_VERSION ([0-9]+).*" "\\1" soci_version_number
                       "${soci_version_line}")
  if(soci_version_number)
    math(EXPR SOCI_VERSION_MAJOR "${soci_version_number} / 100000")
    math(EXPR SOCI_VERSION_MINOR "(${soci_version_number} / 100) % 1000")
    math(EXPR SOCI_VERSION_PATCH "${soci_version_number} % 100")
    set(SOCI_VERSION
        "${SOCI_VERSION_MAJOR}.${SOCI_VERSION_MINOR}.${SOCI_VERSION_PATCH}")
  endif()
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI
  REQUIRED_VARS SOCI_INCLUDE_DIR SOCI_PQ_INCLUDE_DIR SOCI_CORE_LIBRARY
                SOCI_SQLITE3_LIBRARY SOCI_POSTGRESQL_LIBRARY
                SOCI_SQLITE3_C_LIBRARY SOCI_PQ_LIBRARY
  VERSION_VAR SOCI_VERSION)
if(SOCI_FOUND AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES
    IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
  add_library(SOCI::sqlite3 UNKNOWN IMPORTED)
  set_target_properties(SOCI::sqlite3 PROPERTIES
    IMPORTED_LOCATION "${SOCI_SQLITE3_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "SOCI::core;${SOCI_SQLITE3_C_LIBRARY}")
  add_library(SOCI::postgresql UNKNOWN IMPORTED)
  set_target_properties(SOCI::postgresql PROPERTIES
    IMPORTED_LOCATION "${SOCI_POSTGRESQL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_PQ_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "SOCI::core;${SOCI_PQ_LIBRARY}")
endif()
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_PQ_INCLUDE_DIR SOCI_CORE_LIBRARY
                 SOCI_SQLITE3_LIBRARY SOCI_POSTGRESQL_LIBRARY
                 SOCI_SQLITE3_C_LIBRARY SOCI_PQ_LIBRARY)
