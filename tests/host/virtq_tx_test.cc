// Host tests of the transmit virtqueue bookkeeping (lib/virtq_tx.hh).
#include <gtest/gtest.h>

#include "virtq_tx.hh"

TEST(VirtqTx, Valid)
{
    EXPECT_TRUE(VirtqTx(128, 8).valid());
    EXPECT_TRUE(VirtqTx(8, 8).valid());
    EXPECT_FALSE(VirtqTx(4, 8).valid());   // more buffers than ring slots
    EXPECT_FALSE(VirtqTx(96, 8).valid());  // not a power of two
    EXPECT_FALSE(VirtqTx(0, 8).valid());
    EXPECT_FALSE(VirtqTx(128, 0).valid());
    EXPECT_FALSE(VirtqTx(128, 17).valid());
    EXPECT_FALSE(VirtqTx(128, 17).has_free());
}

TEST(VirtqTx, TakesLowestFreeAndRunsOut)
{
    VirtqTx q(128, 3);
    EXPECT_TRUE(q.idle());
    EXPECT_EQ(q.take_free(), 0);
    EXPECT_EQ(q.take_free(), 1);
    EXPECT_EQ(q.take_free(), 2);
    EXPECT_FALSE(q.has_free());
    EXPECT_TRUE(q.idle()); // taken is not in flight until published
}

TEST(VirtqTx, PublishAdvancesAvailAndSlots)
{
    VirtqTx q(4, 2);
    u16 a = q.take_free();
    EXPECT_EQ(q.publish(a), 0);
    EXPECT_EQ(q.avail_idx(), 1);
    u16 b = q.take_free();
    EXPECT_EQ(q.publish(b), 1);
    EXPECT_EQ(q.avail_idx(), 2);
    EXPECT_EQ(q.in_flight(), 2);
    EXPECT_FALSE(q.has_free());
}

TEST(VirtqTx, ReapFreesOutOfOrderAndRejectsBadIds)
{
    VirtqTx q(8, 3);
    for (int i = 0; i < 3; i++)
        (void)q.publish(q.take_free());
    EXPECT_EQ(q.new_used(2), 2);
    EXPECT_FALSE(q.reap(3));  // no such buffer
    EXPECT_FALSE(q.reap(99));
    EXPECT_EQ(q.next_used_slot(), 0);
    EXPECT_TRUE(q.reap(2));   // the device may return them in any order
    EXPECT_FALSE(q.reap(2));  // already returned
    EXPECT_EQ(q.next_used_slot(), 1);
    EXPECT_TRUE(q.reap(0));
    EXPECT_EQ(q.new_used(2), 0);
    EXPECT_EQ(q.in_flight(), 1);
    EXPECT_EQ(q.take_free(), 0);
    EXPECT_EQ(q.take_free(), 2);
    EXPECT_FALSE(q.has_free());
}

TEST(VirtqTx, TakenBufferIsNotReapable)
{
    VirtqTx q(8, 2);
    u16 b = q.take_free();
    EXPECT_FALSE(q.reap(b));
    (void)q.publish(b);
    EXPECT_TRUE(q.reap(b));
}

// The 16-bit indices wrap at 65536 while the ring slots wrap at the queue size.
TEST(VirtqTx, IndicesWrapAround)
{
    VirtqTx q(128, 8);
    u16 used = 0;
    for (unsigned n = 0; n < 70000; n++) {
        u16 b = q.take_free();
        u16 slot = q.publish(b);
        EXPECT_EQ(slot, n % 128);
        used++;
        ASSERT_EQ(q.new_used(used), 1);
        EXPECT_EQ(q.next_used_slot(), n % 128);
        ASSERT_TRUE(q.reap(b));
        ASSERT_TRUE(q.idle());
    }
    EXPECT_EQ(q.avail_idx(), static_cast<u16>(70000));
}

TEST(VirtqTx, InFlightAcrossWrap)
{
    VirtqTx q(16, 4);
    // Bring the indices just below the 16-bit wrap, then keep 4 in flight across it.
    for (unsigned n = 0; n < 65534; n++) {
        u16 b = q.take_free();
        (void)q.publish(b);
        ASSERT_TRUE(q.reap(b));
    }
    u16 bufs[4];
    for (u16& b : bufs) {
        b = q.take_free();
        (void)q.publish(b);
    }
    EXPECT_EQ(q.avail_idx(), 2); // 65534 + 4 wrapped
    EXPECT_EQ(q.in_flight(), 4);
    EXPECT_EQ(q.new_used(65535), 1);
    EXPECT_EQ(q.new_used(1), 3);
    EXPECT_EQ(q.next_used_slot(), 65534 % 16);
    for (u16 b : bufs)
        ASSERT_TRUE(q.reap(b));
    EXPECT_TRUE(q.idle());
    EXPECT_EQ(q.new_used(2), 0);
}
