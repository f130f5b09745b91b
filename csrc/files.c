/*
 * The recorder's two writes (lua/scenario/recording.lua), made safe
 * against other processes writing the same names and against symlinks
 * planted there: a fixture is created only where no name exists yet, and
 * index.txt is appended to a line in one write; neither follows a symlink.
 */
#ifndef SCENARIO_FILES_C
#define SCENARIO_FILES_C

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* open(2) with mode 0644, again when a signal interrupts it. */
static int open_retrying(const char *path, int flags) {
  int fd;
  do {
    fd = open(path, flags, 0644);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

/* Writes the n bytes at p to fd: one write(2) unless the kernel takes
 * fewer bytes (a disk filling up, a signal), then the rest. 0, or -1
 * with errno set. */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t done = write(fd, p, n);
    if (done < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (done == 0) { /* never for a regular file; no loop for ever */
      errno = EIO;
      return -1;
    }
    p += done;
    n -= (size_t)done;
  }
  return 0;
}

/* close(2), as an error only when it reports one that matters: on Linux
 * an EINTR has released fd all the same (closing it again could close a
 * file another thread just opened). */
static int close_checked(int fd) {
  return close(fd) == 0 || errno == EINTR ? 0 : -1;
}

/* Pushes nil and "<path>: <strerror(err)>"; returns 2. */
static int push_file_error(lua_State *L, const char *path, int err) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s", path, strerror(err));
  return 2;
}

/* The path argument at arg, refused with a NUL byte (open would cut it). */
static const char *check_path(lua_State *L, int arg) {
  size_t len;
  const char *path = luaL_checklstring(L, arg, &len);
  luaL_argcheck(L, strlen(path) == len, arg, "the path contains a NUL byte");
  return path;
}

/* core.create_file(path, bytes) -> true | nil, message [, true]
 * Creates the file at path, which must not exist in any form (a symlink,
 * even dangling, counts: O_EXCL never follows one), and writes bytes into
 * it. The third result, true, says the name was taken (EEXIST). A file
 * that could not be written whole is removed: no one finds half of it.
 * No Lua call while the file is open, so nothing raises past the fd. */
static int l_create_file(lua_State *L) {
  const char *path = check_path(L, 1);
  size_t n;
  const char *bytes = luaL_checklstring(L, 2, &n);
  int fd = open_retrying(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC);
  int err;
  if (fd < 0) {
    err = errno;
    push_file_error(L, path, err);
    if (err != EEXIST) return 2;
    lua_pushboolean(L, 1);
    return 3;
  }
  if (write_all(fd, bytes, n) != 0) {
    err = errno;
    (void)close(fd);
    (void)unlink(path); /* ours: O_EXCL made it, so no one else writes it */
    return push_file_error(L, path, err);
  }
  if (close_checked(fd) != 0) {
    err = errno;
    (void)unlink(path);
    return push_file_error(L, path, err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* core.append_line(path, line) -> size | nil, message
 * Appends line (its newline included) to the regular file at path,
 * created if missing, never through a symlink: with O_APPEND, one write
 * lands whole after whatever other processes appended, so lines do not
 * interleave. A short write (a full disk) goes on with the rest, which may
 * then follow another process's line; a full disk fails it anyway. An
 * empty line writes nothing: the file is only opened, checked and closed.
 * size is the file's size when it was opened, before the line. O_NONBLOCK:
 * a FIFO planted there must not block the open. */
static int l_append_line(lua_State *L) {
  const char *path = check_path(L, 1);
  size_t n;
  const char *line = luaL_checklstring(L, 2, &n);
  struct stat st;
  int fd = open_retrying(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  int err;
  if (fd < 0) return push_file_error(L, path, errno);
  if (fstat(fd, &st) != 0) {
    err = errno;
    (void)close(fd);
    return push_file_error(L, path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    (void)close(fd);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: not a regular file", path);
    return 2;
  }
  if (write_all(fd, line, n) != 0) {
    err = errno;
    (void)close(fd);
    return push_file_error(L, path, err);
  }
  if (close_checked(fd) != 0) return push_file_error(L, path, errno);
  lua_pushinteger(L, (lua_Integer)st.st_size);
  return 1;
}

/* Registers the recorder's writes in the module at M. */
static void files_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "create_file", l_create_file },
    { "append_line", l_append_line },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
}

#endif
