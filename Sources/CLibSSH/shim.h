#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>

/* The message API is marked deprecated in libssh 0.10 in favour of callbacks, but it is the one that lets a
   server answer authentication later (after hashing a password on another thread): a message fetched with
   ssh_message_get is ours until we reply and free it, while a callback must answer before it returns. These
   wrappers keep the deprecation warnings out of the Swift build; the functions are still in libssh. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline const char *microblog_ssh_message_auth_password(ssh_message message) {
    return ssh_message_auth_password(message);
}
static inline ssh_key microblog_ssh_message_auth_pubkey(ssh_message message) {
    return ssh_message_auth_pubkey(message);
}
static inline int microblog_ssh_message_auth_publickey_state(ssh_message message) {
    return (int)ssh_message_auth_publickey_state(message);
}
static inline int microblog_ssh_message_pty_width(ssh_message message) {
    return ssh_message_channel_request_pty_width(message);
}
#pragma clang diagnostic pop
