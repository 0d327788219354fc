// epoll for flimmer-bench's receiver thread: Swift's Glibc module does not include <sys/epoll.h>.
#include <sys/epoll.h>
