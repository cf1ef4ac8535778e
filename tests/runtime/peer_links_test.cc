// Which outbound connections are up, on a manual clock: an endpoint counts as unreachable only once it
// has been down (or never up) for longer than the grace, and is forgiven the moment it reconnects.
// No sockets, no sleeps.
#include "runtime/peer_links.h"

#include <gtest/gtest.h>

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

constexpr auto kGrace = 1000ms;
const std::string kPeer = "tcp://127.0.0.1:4000";
const std::string kOther = "tcp://127.0.0.1:4001";

class PeerLinksTest : public ::testing::Test {
 protected:
  ManualClock clock{Clock::time_point{} + 1h};
  PeerLinks links{clock};
};

TEST_F(PeerLinksTest, ANewConnectionIsNotUnreachableWithinTheGrace) {
  links.opened(kPeer);
  clock.advance(kGrace);
  EXPECT_TRUE(links.down_longer_than(kGrace).empty());
}

TEST_F(PeerLinksTest, AConnectionThatNeverCameUpIsUnreachableAfterTheGrace) {
  links.opened(kPeer);
  clock.advance(kGrace + 1ms);
  EXPECT_EQ(links.down_longer_than(kGrace), std::vector<std::string>{kPeer});
}

TEST_F(PeerLinksTest, AConnectionThatIsUpIsNeverUnreachable) {
  links.opened(kPeer);
  links.up(kPeer);
  clock.advance(kGrace * 10);
  EXPECT_TRUE(links.down_longer_than(kGrace).empty());
  EXPECT_TRUE(links.is_up(kPeer));
}

TEST_F(PeerLinksTest, ADisconnectCountsFromWhenItHappened) {
  links.opened(kPeer);
  links.up(kPeer);
  clock.advance(kGrace * 5);
  links.down(kPeer);
  clock.advance(kGrace);
  EXPECT_TRUE(links.down_longer_than(kGrace).empty());
  clock.advance(1ms);
  EXPECT_EQ(links.down_longer_than(kGrace), std::vector<std::string>{kPeer});
}

TEST_F(PeerLinksTest, RepeatedDisconnectsDoNotRestartTheCount) {
  links.opened(kPeer);
  links.up(kPeer);
  links.down(kPeer);
  clock.advance(kGrace / 2);
  links.down(kPeer);  // e.g. a retry that failed too
  clock.advance(kGrace / 2 + 1ms);
  EXPECT_EQ(links.down_longer_than(kGrace), std::vector<std::string>{kPeer});
}

TEST_F(PeerLinksTest, AReconnectForgivesTheOutage) {
  links.opened(kPeer);
  links.up(kPeer);
  links.down(kPeer);
  clock.advance(kGrace * 2);
  links.up(kPeer);
  EXPECT_TRUE(links.down_longer_than(kGrace).empty());
}

TEST_F(PeerLinksTest, OnlyTheDownEndpointIsReported) {
  links.opened(kPeer);
  links.opened(kOther);
  links.up(kOther);
  clock.advance(kGrace + 1ms);
  EXPECT_EQ(links.down_longer_than(kGrace), std::vector<std::string>{kPeer});
}

TEST_F(PeerLinksTest, AClosedOrUnknownEndpointIsNeverReported) {
  links.opened(kPeer);
  links.closed(kPeer);
  links.down(kOther);  // never opened: ignored
  links.up(kOther);
  clock.advance(kGrace * 2);
  EXPECT_TRUE(links.down_longer_than(kGrace).empty());
  EXPECT_FALSE(links.is_up(kOther));
}

TEST_F(PeerLinksTest, AConnectionIsDroppedOnlyWhileDownAfterHavingBeenUp) {
  links.opened(kPeer);
  EXPECT_FALSE(links.dropped(kPeer));  // still connecting
  links.up(kPeer);
  EXPECT_FALSE(links.dropped(kPeer));
  links.down(kPeer);
  EXPECT_TRUE(links.dropped(kPeer));  // at once, no grace: the process there most likely exited
  links.up(kPeer);
  EXPECT_FALSE(links.dropped(kPeer));
  EXPECT_FALSE(links.dropped(kOther));
}

}  // namespace
}  // namespace ist::rt
