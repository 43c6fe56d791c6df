// Bookkeeping of a virtqueue used for transmit only (pure logic, also built
// on the host): which of a few fixed buffers are free, the driver's avail
// index and how far the device's used index has been consumed, both with
// 16-bit wrap-around (virtio 1.x "Virtqueues", legacy layout). Buffer b is
// always described by descriptor b, so a used element's id names the buffer.
// Touches no memory shared with the device: the driver reads and writes the
// rings and passes the values in.
#pragma once
#include "types.hh"

class VirtqTx {
public:
    static constexpr u16 MAX_BUFFERS = 16;

    // queue_size: the device's (a power of two); buffers <= both limits.
    constexpr VirtqTx(u16 queue_size, u16 buffers) : size_(queue_size), buffers_(buffers)
    {
        free_ = buffers <= MAX_BUFFERS ? static_cast<u16>((1u << buffers) - 1) : 0;
    }

    // True when queue_size/buffers are usable (power of two, 1..MAX_BUFFERS).
    [[nodiscard]] constexpr bool valid() const
    {
        return size_ != 0 && (size_ & (size_ - 1)) == 0 && buffers_ >= 1 && buffers_ <= MAX_BUFFERS &&
               buffers_ <= size_;
    }

    [[nodiscard]] constexpr bool has_free() const { return free_ != 0; }
    // Buffers handed to the device and not yet returned in the used ring.
    [[nodiscard]] constexpr u16 in_flight() const { return static_cast<u16>(avail_idx_ - used_seen_); }
    [[nodiscard]] constexpr bool idle() const { return in_flight() == 0; }
    // The avail.idx value the device must see after the last publish().
    [[nodiscard]] constexpr u16 avail_idx() const { return avail_idx_; }

    // Takes the lowest free buffer (precondition: has_free()); it is now the
    // driver's until publish().
    [[nodiscard]] constexpr u16 take_free()
    {
        u16 b = 0;
        while (!(free_ & (1u << b)))
            b++;
        free_ = static_cast<u16>(free_ & ~(1u << b));
        taken_ = static_cast<u16>(taken_ | (1u << b));
        return b;
    }

    // Hands taken buffer b to the device: returns the avail ring slot where
    // the driver writes b before it stores avail_idx() into avail.idx.
    [[nodiscard]] constexpr u16 publish(u16 b)
    {
        taken_ = static_cast<u16>(taken_ & ~(1u << b));
        in_device_ = static_cast<u16>(in_device_ | (1u << b));
        u16 slot = static_cast<u16>(avail_idx_ & (size_ - 1));
        avail_idx_++;
        return slot;
    }

    // Used elements the device added since the last reap(), given its
    // used.idx (never more than in_flight() for a sane device).
    [[nodiscard]] constexpr u16 new_used(u16 device_used_idx) const
    {
        return static_cast<u16>(device_used_idx - used_seen_);
    }
    // Used ring slot of the next element to reap.
    [[nodiscard]] constexpr u16 next_used_slot() const { return static_cast<u16>(used_seen_ & (size_ - 1)); }

    // Consumes the next used element, whose id is the buffer it returns.
    // False (nothing changed) if id is no buffer the device holds.
    [[nodiscard]] constexpr bool reap(u32 id)
    {
        if (id >= buffers_ || !(in_device_ & (1u << id)))
            return false;
        in_device_ = static_cast<u16>(in_device_ & ~(1u << id));
        free_ = static_cast<u16>(free_ | (1u << id));
        used_seen_++;
        return true;
    }

private:
    u16 size_;
    u16 buffers_;
    u16 free_ = 0;      // bit b: buffer b is free
    u16 taken_ = 0;     // bit b: being filled by the driver
    u16 in_device_ = 0; // bit b: published, not yet used
    u16 avail_idx_ = 0;
    u16 used_seen_ = 0;
};
