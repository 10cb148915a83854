# The Debian package: `cpack -G DEB` in the build directory (or
# scripts/package) writes gdmount_VERSION_ARCH.deb. Library dependencies
# come from dpkg-shlibdeps; fuse3 (fusermount3, /dev/fuse rules) is named
# explicitly.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gdmount)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "gdmount developers <gdmount@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Mount Google Drive as a POSIX directory (FUSE)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "gdmount serves Google Drive at a directory through FUSE, with a SQLite\n\
 metadata cache, a chunked read cache, crash-safe write-back uploads and\n\
 Drive's change feed. Headless sign-in for notebooks and servers, systemd\n\
 units and an fstab helper.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3, ca-certificates")
set(CPACK_STRIP_FILES ON)
include(CPack)
