// zlib's deflate for tests that build compressed inputs by hand: a zlib stream, raw deflate or
// gzip, by window_bits as deflateInit2 reads it (MAX_WBITS, -MAX_WBITS, 16 + MAX_WBITS).
#ifndef VIGIL_TESTS_API_DEFLATE_SUPPORT_H_
#define VIGIL_TESTS_API_DEFLATE_SUPPORT_H_

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace vigil_test {

inline std::string deflate_bytes(const std::string& data, int window_bits = MAX_WBITS) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');  // the wrapper included
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace vigil_test

#endif  // VIGIL_TESTS_API_DEFLATE_SUPPORT_H_
