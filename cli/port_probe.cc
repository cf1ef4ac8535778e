#include "cli/port_probe.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ist::cli {

Status check_port_free(const std::string& ip, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(ip == "*" ? nullptr : ip.c_str(), service.c_str(), &hints, &found) != 0) {
    return Status::ok_status();
  }
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  Status status;
  if (fd < 0) {
    status =
        Status::io_error("cannot open a socket to probe " + ip + ":" + service + ": " + std::strerror(errno));
  } else {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
      status = Status::io_error("binding " + ip + ":" + service + ": " + std::strerror(errno));
    }
    close(fd);
  }
  freeaddrinfo(found);
  return status;
}

}  // namespace ist::cli
