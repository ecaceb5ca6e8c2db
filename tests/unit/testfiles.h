/*
 * testfiles: the files unit tests write for the code under test to read. Included after
 * cmocka.h by the test files that need it (a header of static functions: each test program
 * is one file, and not every one writes files).
 */
#ifndef MEETINGD_TESTFILES_H
#define MEETINGD_TESTFILES_H

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Writes DATA as DIR/NAME, then gives it MODE (even one that forbids the writing); returns
 * the path (caller frees). */
static inline char *write_test_file(const char *dir, const char *name, const char *data,
                                    mode_t mode)
{
    char *path = xasprintf("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t len = strlen(data);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

#endif
