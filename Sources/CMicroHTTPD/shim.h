#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic, which Swift cannot call: this passes the options as one array. No listening
   socket (microblogd accepts, then hands each socket over with MHD_add_connection), no thread of MHD's own:
   the caller runs it from its Dispatch queue when the daemon's epoll descriptor is readable. */
static inline struct MHD_Daemon *microblog_mhd_start(unsigned int flags, MHD_AccessHandlerCallback handler,
                                                     void *context, const struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, context, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

static inline int microblog_mhd_epoll_fd(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

static inline int microblog_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/* MHD_set_response_options is variadic: a response whose body ends when the connection closes (no chunked
   encoding, no keep-alive), for a live stream the caller takes over (see HTTPReply.handOver). */
static inline int microblog_mhd_close_delimited(struct MHD_Response *response) {
    return MHD_set_response_options(response, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
}

/* The enums Swift imports as closed enums, as plain numbers for option arrays and comparisons. */
static const int MICROBLOG_MHD_YES = MHD_YES;
static const int MICROBLOG_MHD_NO = MHD_NO;

/* Values of one kind of a request: 1 header fields, 2 cookies, 8 query arguments. */
static inline int microblog_mhd_values(struct MHD_Connection *connection, int kind, MHD_KeyValueIterator iterator,
                                       void *context) {
    return MHD_get_connection_values(connection, (enum MHD_ValueKind)kind, iterator, context);
}

/* The pointer a connection carries from MHD_CONNECTION_NOTIFY_STARTED on (NULL before). */
static inline void *microblog_mhd_socket_context(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}
