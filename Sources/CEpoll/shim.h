// epoll(7), part of the C library; Swift's Glibc module does not export it.
#include <sys/epoll.h>
