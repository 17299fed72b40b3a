// Reader for the Fashion-MNIST idx files (gzip-compressed, as Debian's dataset-fashion-mnist
// ships them). Shared by the examples; not part of the library.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

/// Images as rows of 784 floats scaled to [0, 1], and labels 0..9.
struct FashionMnistSplit {
  std::vector<float> images;  // count x 784, row-major
  std::vector<std::uint8_t> labels;
  std::int64_t count = 0;
  static constexpr std::int64_t rows = 28, cols = 28, pixels = 784;
};

/// Directory of the idx files: $NERCC_FASHION_MNIST_DIR, else Debian's location.
inline std::string fashion_mnist_dir(const std::string& override_dir = {}) {
  if (!override_dir.empty()) return override_dir;
  if (const char* env = std::getenv("NERCC_FASHION_MNIST_DIR")) return env;
  return "/usr/share/datasets/fashion-mnist";
}

namespace detail {
inline std::vector<unsigned char> read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw std::runtime_error("cannot open " + path +
                             " (install Debian's dataset-fashion-mnist, or set NERCC_FASHION_MNIST_DIR)");
  std::vector<unsigned char> data;
  unsigned char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) data.insert(data.end(), buf, buf + n);
  const bool failed = n < 0;
  gzclose(f);
  if (failed) throw std::runtime_error("corrupt gzip file " + path);
  return data;
}
inline std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
}  // namespace detail

/// Loads "train" or "t10k" from dir; limit > 0 keeps only the first limit samples.
inline FashionMnistSplit load_fashion_mnist(const std::string& dir, const std::string& split,
                                            std::int64_t limit = 0) {
  const auto img = detail::read_gz(dir + "/" + split + "-images-idx3-ubyte.gz");
  const auto lab = detail::read_gz(dir + "/" + split + "-labels-idx1-ubyte.gz");
  if (img.size() < 16 || detail::be32(img.data()) != 2051 || detail::be32(img.data() + 8) != 28 ||
      detail::be32(img.data() + 12) != 28)
    throw std::runtime_error("not an idx3 28x28 image file: " + split + "-images");
  if (lab.size() < 8 || detail::be32(lab.data()) != 2049)
    throw std::runtime_error("not an idx1 label file: " + split + "-labels");
  std::int64_t n = detail::be32(img.data() + 4);
  if (std::int64_t(detail::be32(lab.data() + 4)) != n || img.size() != 16 + std::size_t(n) * 784 ||
      lab.size() != 8 + std::size_t(n))
    throw std::runtime_error("image and label files of split " + split + " disagree in size");
  if (limit > 0 && limit < n) n = limit;
  FashionMnistSplit s;
  s.count = n;
  s.images.resize(std::size_t(n) * 784);
  for (std::size_t i = 0; i < s.images.size(); ++i) s.images[i] = float(img[16 + i]) / 255.0f;
  s.labels.assign(lab.begin() + 8, lab.begin() + 8 + n);
  return s;
}

}  // namespace nercc_examples
