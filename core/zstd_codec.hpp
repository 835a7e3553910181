// zstd compression for stored blobs, with a hard cap on what decompression may
// produce, and the binary delta fast path (a zstd frame against a prefix).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace awf::core {

/// Compresses `data` into one zstd frame at `level` (1..22).
std::string zstd_compress(std::string_view data, int level);

/// Decompresses one zstd frame. Fails with `errc::payload_too_large` when the
/// content would exceed `max_size` bytes (checked before and while
/// decompressing, so a bomb never allocates) and `errc::corrupt_data` when
/// the frame is damaged.
result<std::string> zstd_decompress(std::string_view frame,
                                    std::size_t max_size);

/// Compresses `data` with `prefix` as a raw-content dictionary
/// (`ZSTD_CCtx_refPrefix`): a compact delta when `data` resembles `prefix`.
std::string zstd_delta_compress(std::string_view data, std::string_view prefix,
                                int level);

/// Reverses `zstd_delta_compress` given the same `prefix`.
result<std::string> zstd_delta_decompress(std::string_view frame,
                                          std::string_view prefix,
                                          std::size_t max_size);

} // namespace awf::core
