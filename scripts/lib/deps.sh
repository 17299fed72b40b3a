# Installs Debian packages that are missing, with sudo when not root. Sourced by scripts/*.
nercc_install_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "nercc: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Packages the library, its tests and benchmarks need (the Python package and its pytest tests too).
NERCC_CORE_PACKAGES=(g++ cmake make ccache libeigen3-dev libxtensor-dev xtl-dev catch2 libbenchmark-dev
  python3-dev pybind11-dev python3-pybind11 python3-numpy python3-scipy python3-pytest)
# Packages the examples need (real model, real data, real transport, plots).
NERCC_EXAMPLE_PACKAGES=(libtorch-dev dataset-fashion-mnist python3-vega-datasets zlib1g-dev gnuplot-nox
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libopenmpi-dev openmpi-bin
  iproute2 nftables python3-torch)

nercc_jobs() { nproc 2>/dev/null || echo 2; }
