// Version and the ABI-tagged namespace every nercc entity lives in.
#pragma once

#define NERCC_VERSION_MAJOR 0
#define NERCC_VERSION_MINOR 1
#define NERCC_VERSION_PATCH 0

// Entities live in nercc::v0_1 (inline), so two versions linked into one program do not clash.
#define NERCC_NAMESPACE_BEGIN \
  namespace nercc {           \
  inline namespace v0_1 {
#define NERCC_NAMESPACE_END \
  }                         \
  }
