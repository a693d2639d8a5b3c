// Output files: the target rules and the atomic replacement of engine/output_file.h.
#include "engine/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The longest ".tmp.<pid>" suffix: a pid has at most 10 digits, whatever the pid of a later run is.
#define TMP_SUFFIX_MAX 15

__attribute__((format(printf, 4, 5)))
static int set_error(char *err, size_t errlen, const char *path, const char *fmt, ...) {
    if (!err || !errlen) return -1;
    int n = snprintf(err, errlen, "%s: ", path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < errlen) vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *c = err; *c; c++) // one line, whatever the path holds
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    return -1;
}

static char *xstrdup_or_null(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

// The directory part of path ("." for a bare name, "/" for "/name").
static void dir_of(const char *path, char *out, size_t n) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, n, ".");
    else snprintf(out, n, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

static const char *kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

int output_resolve(const char *path, char *out, size_t outlen, char *err, size_t errlen) {
    struct stat st;
    if (!path[0] || path[strlen(path) - 1] == '/')
        return set_error(err, errlen, path, "is not a file name; give a path like out.safetensors");
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) {
        if (strlen(path) >= outlen) return set_error(err, errlen, path, "the name is too long");
        snprintf(out, outlen, "%s", path);
        return 0;
    }
    char *real = realpath(path, NULL);
    if (!real)
        return set_error(err, errlen, path, "is a symlink whose target cannot be reached (%s); point it at a file "
                         "or give another name", strerror(errno));
    int too_long = strlen(real) >= outlen;
    if (!too_long) snprintf(out, outlen, "%s", real);
    free(real);
    return too_long ? set_error(err, errlen, path, "the symlink's target name is too long") : 0;
}

// The resolved target must be absent or a regular file.
static int check_regular(const char *path, const char *target, mode_t *mode, int *exists, char *err, size_t errlen) {
    struct stat st;
    *exists = stat(target, &st) == 0;
    if (!*exists) return 0;
    if (!S_ISREG(st.st_mode)) {
        if (strcmp(path, target))
            return set_error(err, errlen, path, "is a symlink to %s, which is %s; only a regular file is replaced",
                             target, kind_of(st.st_mode));
        return set_error(err, errlen, path, "is %s; only a regular file is replaced; give a file name",
                         kind_of(st.st_mode));
    }
    if (mode) *mode = st.st_mode & 07777;
    return 0;
}

static char *temp_name(const char *target) {
    size_t n = strlen(target) + TMP_SUFFIX_MAX + 2;
    char *tmp = malloc(n);
    if (tmp) snprintf(tmp, n, "%s.tmp.%ld", target, (long)getpid());
    return tmp;
}

int output_check(const char *path, char *err, size_t errlen) {
    char target[PATH_MAX], dir[PATH_MAX];
    int exists;
    if (output_resolve(path, target, sizeof target, err, errlen)) return -1;
    dir_of(target, dir, sizeof dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return set_error(err, errlen, path, "directory %s does not exist; create it first", dir);
    if (check_regular(path, target, NULL, &exists, err, errlen)) return -1;
    if (access(dir, W_OK) != 0) return set_error(err, errlen, path, "directory %s is not writable (%s)", dir, strerror(errno));
    const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    long name_max = pathconf(dir, _PC_NAME_MAX);
    if (name_max > 0 && (long)strlen(base) + TMP_SUFFIX_MAX > name_max)
        return set_error(err, errlen, path, "the name is too long to save through a temporary file (%zu characters "
                         "plus '.tmp.<pid>' is more than the %ld this filesystem allows); use a shorter name",
                         strlen(base), name_max);
    char *tmp = temp_name(target);
    if (!tmp) return set_error(err, errlen, path, "out of memory");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    int rc = fd >= 0 || e == EEXIST ? 0
             : set_error(err, errlen, path, "cannot create the temporary file %s (%s)", tmp, strerror(e));
    free(tmp);
    return rc;
}

int output_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int output_holds_checkpoint(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 0;
    struct stat st;
    unsigned char head[9];
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, head, 9) == 9;
    close(fd);
    if (!ok) return 0;
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = len << 8 | head[i];
    return len >= 2 && len <= 100u * 1024 * 1024 && head[8] == '{';
}

int output_open(OutputFile *o, const char *path, char *err, size_t errlen) {
    memset(o, 0, sizeof *o);
    char target[PATH_MAX];
    mode_t mode = 0666;
    int exists;
    if (output_resolve(path, target, sizeof target, err, errlen) ||
        check_regular(path, target, &mode, &exists, err, errlen))
        return -1;
    if (!(o->target = xstrdup_or_null(target)) || !(o->tmp = temp_name(target))) {
        output_abort(o);
        return set_error(err, errlen, path, "out of memory");
    }
    unlink(o->tmp); // a leftover of an earlier process with this pid
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    // An existing file keeps its permission bits (a 0600 checkpoint stays private); a new one gets the umask's.
    if (fd >= 0 && exists && fchmod(fd, mode) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
        int e = errno;
        if (fd >= 0) close(fd);
        set_error(err, errlen, path, "cannot create temporary file %s: %s", o->tmp, strerror(e));
        output_abort(o);
        return -1;
    }
    return 0;
}

// After the rename the new name lives in the directory entry, which reaches disk only when the directory
// itself is synced.
static int sync_dir(const char *path, const char *target, char *err, size_t errlen) {
    char dir[PATH_MAX];
    dir_of(target, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return set_error(err, errlen, path, "saved, but cannot open directory %s to sync it: %s", dir, strerror(errno));
    int rc = 0;
    // EINVAL: the filesystem has no notion of syncing a directory; nothing more can be done.
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = set_error(err, errlen, path, "saved, but syncing directory %s failed: %s", dir, strerror(errno));
    close(fd);
    return rc;
}

int output_commit(OutputFile *o, const char *path, char *err, size_t errlen) {
    errno = 0;
    int ok = !o->error && fflush(o->f) == 0 && !ferror(o->f) && fsync(fileno(o->f)) == 0;
    int e = o->error ? o->error : errno;
    if (fclose(o->f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    o->f = NULL;
    if (!ok) {
        set_error(err, errlen, path, "cannot write temporary file %s: %s", o->tmp, strerror(e ? e : EIO));
        output_abort(o);
        return -1;
    }
    if (rename(o->tmp, o->target) != 0) {
        set_error(err, errlen, path, "cannot rename %s over it: %s", o->tmp, strerror(errno));
        output_abort(o);
        return -1;
    }
    int rc = sync_dir(path, o->target, err, errlen);
    free(o->tmp);
    o->tmp = NULL;
    output_abort(o);
    return rc;
}

void output_abort(OutputFile *o) {
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->target);
    memset(o, 0, sizeof *o);
}

FILE *output_open_stream(const char *path, char *err, size_t errlen) {
    char target[PATH_MAX];
    int exists;
    if (output_resolve(path, target, sizeof target, err, errlen) ||
        check_regular(path, target, NULL, &exists, err, errlen))
        return NULL;
    // O_NOFOLLOW|O_NONBLOCK: what is there now must still be the regular file just checked (a FIFO swapped in
    // would block the open; a device would be opened)
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0666);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        set_error(err, errlen, path, "changed into something other than a regular file");
        return NULL;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        set_error(err, errlen, path, "cannot write: %s", strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (f) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return f;
}
