/* The system headers first, as every other module sees them: liburing.h defines _XOPEN_SOURCE before
   including them, which would give fd_set other member names here than in Glibc's module. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <liburing.h>

/* Small wrappers around liburing's inline functions and its io_uring_for_each_cqe macro, which Swift
   cannot import, so that the Swift side (SendRing) only queues sends, submits them and reaps results. */

/* Queues a non-blocking send of len bytes at buf on fd (MSG_DONTWAIT: a full socket completes at once with
   -EAGAIN rather than waiting; MSG_NOSIGNAL: a closed peer gives -EPIPE, not SIGPIPE). 0, or -1 when the
   submission queue is full. */
static inline int microblog_uring_queue_send(struct io_uring *ring, int fd, const void *buf, unsigned len,
                                             unsigned long long tag) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) return -1;
    io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, tag);
    return 0;
}

/* Copies up to max completions' tags and results (a byte count, or -errno), marks them seen, and returns
   how many there were. */
static inline unsigned microblog_uring_reap(struct io_uring *ring, unsigned long long *tags, int *results,
                                            unsigned max) {
    unsigned head, count = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
        if (count == max) break;
        tags[count] = cqe->user_data;
        results[count] = cqe->res;
        count++;
    }
    io_uring_cq_advance(ring, count);
    return count;
}
