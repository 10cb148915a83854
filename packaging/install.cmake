# What `make install` and the .deb put where (prefix /usr):
#   bin/gdmount                                   the binary
#   sbin/mount.fuse.gdmount -> ../bin/gdmount      mount(8) helper (fstab)
#   lib/systemd/{user,system}/gdmount@.service     units
#   share/man/man1/gdmount.1                       man page
#   share/doc/gdmount/                             README and docs
include(GNUInstallDirs)

install(TARGETS gdmount RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# mount(8) looks for helpers in /sbin (= /usr/sbin on Debian 12).
file(CREATE_LINK ../bin/gdmount ${CMAKE_BINARY_DIR}/mount.fuse.gdmount SYMBOLIC)
install(FILES ${CMAKE_BINARY_DIR}/mount.fuse.gdmount
        DESTINATION ${CMAKE_INSTALL_SBINDIR})

install(FILES ${PROJECT_SOURCE_DIR}/systemd/user/gdmount@.service
        DESTINATION lib/systemd/user)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/system/gdmount@.service
        DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/docs/gdmount.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "*.png"
        PATTERN ".*" EXCLUDE)
