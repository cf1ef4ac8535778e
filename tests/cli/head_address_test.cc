// `--address HOST:PORT` is checked before anything starts: a port out of range is named, never wrapped.
#include "cli/head_address.h"

#include <gtest/gtest.h>

namespace ist::cli {
namespace {

TEST(HeadAddress, HostAndPortInRangeAreAccepted) {
  for (const char* ok : {"127.0.0.1:6380", "tcp://10.0.0.1:1", "head.example:65535", "[::1]:6380"}) {
    EXPECT_TRUE(check_head_address(ok).ok()) << ok;
  }
}

TEST(HeadAddress, PortsOutsideOneTo65535AreRefusedNamingTheRange) {
  for (const char* bad :
       {"127.0.0.1:70000", "127.0.0.1:0", "127.0.0.1:-1", "127.0.0.1:65536", "127.0.0.1:99999999999"}) {
    const Status s = check_head_address(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.message().find("a port from 1 to 65535"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  }
}

TEST(HeadAddress, AnAddressWithoutHostOrPortIsRefused) {
  for (const char* bad : {"127.0.0.1", ":6380", "127.0.0.1:", "tcp://:6380", "127.0.0.1:63a", ""}) {
    EXPECT_FALSE(check_head_address(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ist::cli
