#include "core/zstd_codec.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>

#include <zstd.h>
#include <zstd_errors.h>

namespace awf::core {

namespace {

/// Prefix size above which delta compression turns on long distance
/// matching. Measured on JSON states at levels 1 and 3: below it, long
/// distance matching makes deltas larger and 2-3 times slower; far above it,
/// the level's hash tables keep too few prefix positions to find matches.
constexpr std::size_t long_distance_threshold = 2 * 1024 * 1024;

struct cctx_deleter {
  void operator()(ZSTD_CCtx* ctx) const noexcept { ZSTD_freeCCtx(ctx); }
};

struct dctx_deleter {
  void operator()(ZSTD_DCtx* ctx) const noexcept { ZSTD_freeDCtx(ctx); }
};

/// Throws like any allocation would: with a buffer of ZSTD_compressBound
/// bytes and valid parameters, compression fails only when memory does.
void require(std::size_t zstd_result) {
  if (ZSTD_isError(zstd_result))
    throw std::bad_alloc{};
}

/// Returns this thread's compression context with default parameters and no
/// prefix. Reusing it keeps its tables allocated between calls, which is
/// most of the cost of compressing a small state.
ZSTD_CCtx* fresh_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, cctx_deleter> ctx;
  if (!ctx)
    ctx.reset(ZSTD_createCCtx());
  if (!ctx)
    throw std::bad_alloc{};
  require(ZSTD_CCtx_reset(ctx.get(), ZSTD_reset_session_and_parameters));
  return ctx.get();
}

/// Returns this thread's decompression context with default parameters and
/// no prefix (a failed call may have left either behind).
ZSTD_DCtx* fresh_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, dctx_deleter> ctx;
  if (!ctx)
    ctx.reset(ZSTD_createDCtx());
  if (!ctx)
    throw std::bad_alloc{};
  require(ZSTD_DCtx_reset(ctx.get(), ZSTD_reset_session_and_parameters));
  return ctx.get();
}

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return a > std::numeric_limits<std::size_t>::max() - b
           ? std::numeric_limits<std::size_t>::max()
           : a + b;
}

/// Returns the smallest log2 window that spans `bytes`, within `bounds`.
int window_log_for(std::size_t bytes, ZSTD_bounds bounds) {
  int log = bytes <= 1 ? 0 : static_cast<int>(std::bit_width(bytes - 1));
  return std::clamp(log, bounds.lowerBound, bounds.upperBound);
}

/// Sets the parameters every frame of ours shares. The checksum costs little
/// and catches damage the block format alone would decode into wrong bytes.
void set_frame_parameters(ZSTD_CCtx* cctx, int level) {
  level = std::clamp(level, 1, ZSTD_maxCLevel());
  require(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level));
  require(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1));
}

/// Compresses `data` in one call, so the frame records its content size.
std::string compress_frame(ZSTD_CCtx* cctx, std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  auto size =
    ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  require(size);
  out.resize(size);
  return out;
}

core::error corrupt(std::string what) {
  return {errc::corrupt_data, "zstd frame: " + std::move(what)};
}

core::error too_large(std::size_t max_size) {
  return {errc::payload_too_large, "zstd frame decompresses to more than " +
                                     std::to_string(max_size) + " bytes"};
}

/// Accepts exactly one zstd frame: no skippable frame, no trailing bytes
/// (a second concatenated frame would otherwise be decoded and appended).
status check_single_frame(std::string_view frame) {
  if (frame.size() < 4)
    return corrupt("too short");
  std::uint32_t magic = 0;
  for (int i = 3; i >= 0; --i)
    magic = (magic << 8) | static_cast<unsigned char>(frame[i]);
  if (magic != ZSTD_MAGICNUMBER)
    return corrupt("bad magic number");
  auto size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(size))
    return corrupt(ZSTD_getErrorName(size));
  if (size != frame.size())
    return corrupt("trailing bytes after the frame");
  return ok_status();
}

/// Decompresses a frame that states its content size into a buffer of
/// exactly that size: the common case, and the one without a window buffer.
result<std::string> decompress_known(ZSTD_DCtx* dctx, std::string_view frame,
                                     std::size_t content_size) {
  std::string out(content_size, '\0');
  auto size = ZSTD_decompressDCtx(dctx, out.data(), out.size(), frame.data(),
                                  frame.size());
  if (ZSTD_isError(size))
    return corrupt(ZSTD_getErrorName(size));
  if (size != content_size)
    return corrupt("content size mismatch");
  return out;
}

/// Decompresses a streamed frame (no content size) into a buffer that grows
/// up to one byte past `max_size`: reaching that byte proves a bomb.
result<std::string> decompress_unknown(ZSTD_DCtx* dctx, std::string_view frame,
                                       std::size_t window_budget,
                                       std::size_t max_size) {
  static const auto bounds = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
  // The window is allocated up front from the frame header, so cap it too.
  require(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
                                 window_log_for(window_budget, bounds)));
  auto limit = saturating_add(max_size, 1);
  std::size_t initial = std::max<std::size_t>(64 * 1024, frame.size() * 4);
  std::string out(std::min(limit, initial), '\0');
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  for (;;) {
    auto before = in.pos + dst.pos;
    auto pending = ZSTD_decompressStream(dctx, &dst, &in);
    if (ZSTD_getErrorCode(pending) == ZSTD_error_frameParameter_windowTooLarge)
      return too_large(max_size);
    if (ZSTD_isError(pending))
      return corrupt(ZSTD_getErrorName(pending));
    if (dst.pos > max_size)
      return too_large(max_size);
    if (pending == 0)
      break;
    if (dst.pos < dst.size) {
      // Room left but unfinished: the decoder wants input there is none of.
      if (in.pos == in.size || in.pos + dst.pos == before)
        return corrupt("truncated");
      continue;
    }
    out.resize(out.size() > limit / 2 ? limit : out.size() * 2);
    dst.dst = out.data();
    dst.size = out.size();
  }
  out.resize(dst.pos);
  return out;
}

result<std::string> decompress(std::string_view frame, std::string_view prefix,
                               std::size_t max_size) {
  if (auto checked = check_single_frame(frame); !checked)
    return checked.error();
  auto content_size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content_size == ZSTD_CONTENTSIZE_ERROR)
    return corrupt("bad frame header");
  if (content_size != ZSTD_CONTENTSIZE_UNKNOWN && content_size > max_size)
    return too_large(max_size);
  auto dctx = fresh_dctx();
  if (!prefix.empty())
    require(ZSTD_DCtx_refPrefix(dctx, prefix.data(), prefix.size()));
  if (content_size != ZSTD_CONTENTSIZE_UNKNOWN)
    return decompress_known(dctx, frame, content_size);
  return decompress_unknown(dctx, frame,
                            saturating_add(prefix.size(), max_size), max_size);
}

} // namespace

std::string zstd_compress(std::string_view data, int level) {
  auto cctx = fresh_cctx();
  set_frame_parameters(cctx, level);
  return compress_frame(cctx, data);
}

result<std::string> zstd_decompress(std::string_view frame,
                                    std::size_t max_size) {
  return decompress(frame, {}, max_size);
}

std::string zstd_delta_compress(std::string_view data, std::string_view prefix,
                                int level) {
  static const auto bounds = ZSTD_cParam_getBounds(ZSTD_c_windowLog);
  auto cctx = fresh_cctx();
  set_frame_parameters(cctx, level);
  // Matches reach into the prefix only within the window, so it must span
  // prefix and data. The frame stays single-segment (its window is its
  // content size), so decoders never allocate a window this large.
  auto window_log =
    window_log_for(saturating_add(prefix.size(), data.size()), bounds);
  require(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log));
  if (prefix.size() > long_distance_threshold)
    require(ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1));
  if (!prefix.empty())
    require(ZSTD_CCtx_refPrefix(cctx, prefix.data(), prefix.size()));
  return compress_frame(cctx, data);
}

result<std::string> zstd_delta_decompress(std::string_view frame,
                                          std::string_view prefix,
                                          std::size_t max_size) {
  return decompress(frame, prefix, max_size);
}

} // namespace awf::core
