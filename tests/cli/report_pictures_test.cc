// `ist report` checked as pictures: a real run (ist simulate, tiny) and an identical copy of it, reported
// as SVG rendered by librsvg (rsvg-convert) and as HTML rendered by headless chromium, both Debian
// packages (scripts/setup.sh). Each PNG, decoded here with zlib, must not be blank: enough non-white
// pixels, and pixels in both runs' colors (the copy is dashed, so both show); the legend carries both runs'
// whole names. The PNGs' sizes are printed.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/cli/ist_process.h"
#include "tests/cli/text_files.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using ist_process::run_ist;

const auto& read = text_files::read_file;

struct Image {
  std::uint32_t width = 0, height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // rows of width x channels bytes
  std::string error;
};

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

// 8-bit RGB or RGBA, not interlaced: what rsvg-convert and chromium write.
Image decode_png(const std::string& data) {
  Image image;
  if (data.size() < 8 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return image.error = "not a PNG", image;
  std::string idat;
  for (std::size_t at = 8; at + 12 <= data.size();) {
    const std::uint32_t length = be32(data, at);
    const std::string kind = data.substr(at + 4, 4);
    if (kind == "IHDR") {
      image.width = be32(data, at + 8);
      image.height = be32(data, at + 12);
      const int depth = std::uint8_t(data[at + 16]), color = std::uint8_t(data[at + 17]);
      if (depth != 8 || (color != 2 && color != 6) || data[at + 20] != 0) return image.error = "unsupported PNG", image;
      image.channels = color == 2 ? 3 : 4;
    } else if (kind == "IDAT") {
      idat += data.substr(at + 8, length);
    }
    at += 12 + length;
  }
  const std::size_t stride = std::size_t(image.width) * image.channels;
  std::vector<std::uint8_t> raw((stride + 1) * image.height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_size != raw.size()) {
    return image.error = "bad image data", image;
  }
  image.pixels.assign(stride * image.height, 0);
  const int ch = image.channels;
  for (std::size_t y = 0; y < image.height; ++y) {
    const std::uint8_t filter = raw[y * (stride + 1)];
    const std::uint8_t* in = &raw[y * (stride + 1) + 1];
    std::uint8_t* out = &image.pixels[y * stride];
    const std::uint8_t* up = y > 0 ? &image.pixels[(y - 1) * stride] : nullptr;
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= std::size_t(ch) ? out[i - ch] : 0, b = up ? up[i] : 0;
      const int c = up && i >= std::size_t(ch) ? up[i - ch] : 0;
      int predicted = 0;
      if (filter == 1) predicted = a;
      if (filter == 2) predicted = b;
      if (filter == 3) predicted = (a + b) / 2;
      if (filter == 4) {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = std::uint8_t(in[i] + predicted);
    }
  }
  return image;
}

struct Ink {
  std::size_t non_white = 0;
  std::array<std::size_t, 2> near{};  // pixels near each of the two colors
};

Ink count_ink(const Image& image, const std::array<std::array<int, 3>, 2>& colors) {
  Ink ink;
  for (std::size_t at = 0; at < image.pixels.size(); at += image.channels) {
    const std::uint8_t* p = &image.pixels[at];
    if (image.channels == 4 && p[3] < 128) continue;  // transparent: background
    if (std::min({p[0], p[1], p[2]}) < 235) ++ink.non_white;
    for (std::size_t k = 0; k < colors.size(); ++k) {
      if (std::abs(p[0] - colors[k][0]) + std::abs(p[1] - colors[k][1]) + std::abs(p[2] - colors[k][2]) < 40) ++ink.near[k];
    }
  }
  return ink;
}

bool has(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(ReportPictures, SvgAndHtmlRenderToPicturesWithBothRunsCurvesAndWholeLegendNames) {
  ASSERT_TRUE(has("rsvg-convert")) << "librsvg2-bin is missing (scripts/setup.sh installs it)";
  ASSERT_TRUE(has("chromium")) << "chromium is missing (scripts/setup.sh installs it)";
  const fs::path root = fs::temp_directory_path() / ("ist_report_pictures_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string name = "fashion-mnist-ist-a-long-experiment-name-that-legends-used-to-cut";
  const auto run = run_ist({"simulate", std::string(IST_SOURCE_DIR) + "/examples/quick_ist.toml", "--out",
                            (root / "run").string(), "--set", "name=\"" + name + "\"", "--set",
                            "model.widths=[784,16,10]", "--set", "algorithm.rounds=6", "--set", "algorithm.eval_every=2",
                            "--set", "algorithm.local_steps=2", "--set", "algorithm.batch_size=16", "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  fs::copy(root / "run", root / "same_again", fs::copy_options::recursive);  // an identical run
  for (const char* file : {"report.svg", "report.html"}) {
    const auto report = run_ist({"report", (root / "run").string(), (root / "same_again").string(), "-o", (root / file).string()});
    ASSERT_EQ(report.exit_code, 0) << report.output;
  }
  const std::string svg = read(root / "report.svg"), html = read(root / "report.html");
  for (const std::string& label : {name + " (ist) [run]", name + " (ist) [same_again]"}) {
    EXPECT_NE(svg.find(">" + label + "</text>"), std::string::npos) << label;
    EXPECT_NE(html.find(">" + label + "</text>"), std::string::npos) << label;
  }

  const std::string r = root.string();
  ASSERT_EQ(std::system(("timeout 60 rsvg-convert " + r + "/report.svg -o " + r + "/svg.png").c_str()), 0);
  ASSERT_EQ(std::system(("timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                         "--user-data-dir=" + r + "/chrome --window-size=1000,1600 --screenshot=" + r +
                         "/html.png file://" + r + "/report.html >/dev/null 2>&1").c_str()),
            0);
  const std::array<std::array<int, 3>, 2> run_colors{{{0x1f, 0x77, 0xb4}, {0xd6, 0x27, 0x28}}};
  for (const char* png : {"svg.png", "html.png"}) {
    const std::string data = read(root / png);
    const Image image = decode_png(data);
    ASSERT_TRUE(image.error.empty()) << png << ": " << image.error;
    const Ink ink = count_ink(image, run_colors);
    const std::size_t area = std::size_t(image.width) * image.height;
    std::printf("%s: %ux%u px, %zu bytes, %zu non-white px, %zu / %zu px in the two runs' colors\n", png, image.width,
                image.height, data.size(), ink.non_white, ink.near[0], ink.near[1]);
    EXPECT_GT(ink.non_white * 50, area) << png << " is nearly blank";
    EXPECT_GE(ink.near[0], 200u) << png << " lacks the first run's curves";
    EXPECT_GE(ink.near[1], 200u) << png << " lacks the second run's (dashed) curves";
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace ist::cli
