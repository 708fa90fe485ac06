// Decoding any FFmpeg-readable video to RGB8 frames, with its container tags.
#include <cctype>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "core/media/ffmpeg_util.h"
#include "core/media/ffmpeg_video.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace linvideo::media::ffmpeg {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int sws_colorspace(AVColorSpace space) {
  switch (space) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_FCC:
      return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    default:
      return SWS_CS_ITU601;  // what untagged SD video means
  }
}

// Planar G, B, R back to RGB8 (exact; RGB FFV1 from other tools and newer FFmpeg).
void copy_gbrp(const AVFrame* frame, std::uint8_t* rgb) {
  for (int y = 0; y < frame->height; ++y) {
    const std::uint8_t* g = frame->data[0] + std::size_t(y) * frame->linesize[0];
    const std::uint8_t* b = frame->data[1] + std::size_t(y) * frame->linesize[1];
    const std::uint8_t* r = frame->data[2] + std::size_t(y) * frame->linesize[2];
    std::uint8_t* dst = rgb + std::size_t(y) * frame->width * 3;
    for (int x = 0; x < frame->width; ++x) {
      dst[3 * x] = r[x];
      dst[3 * x + 1] = g[x];
      dst[3 * x + 2] = b[x];
    }
  }
}

// 0RGB32 back to RGB8 (exact; what our FFV1 files hold).
void copy_0rgb32(const AVFrame* frame, std::uint8_t* rgb) {
  for (int y = 0; y < frame->height; ++y) {
    const std::uint8_t* src = frame->data[0] + std::size_t(y) * frame->linesize[0];
    std::uint8_t* dst = rgb + std::size_t(y) * frame->width * 3;
    for (int x = 0; x < frame->width; ++x) {
      std::uint32_t pixel;
      std::memcpy(&pixel, src + 4 * x, 4);
      dst[3 * x] = std::uint8_t(pixel >> 16);
      dst[3 * x + 1] = std::uint8_t(pixel >> 8);
      dst[3 * x + 2] = std::uint8_t(pixel);
    }
  }
}

class FrameConverter {
 public:
  explicit FrameConverter(std::string path) : path_(std::move(path)) {}

  // Appends `frame` as RGB8, cropped to width x height (both <= the frame's).
  void append(const AVFrame* frame, int width, int height, std::vector<std::uint8_t>& rgb) {
    const std::size_t full_bytes = std::size_t(frame->width) * frame->height * 3;
    if (frame->format == AV_PIX_FMT_GBRP) {
      converted_.resize(full_bytes);
      copy_gbrp(frame, converted_.data());
    } else if (frame->format == AV_PIX_FMT_0RGB32) {
      converted_.resize(full_bytes);
      copy_0rgb32(frame, converted_.data());
    } else {
      const auto format = static_cast<AVPixelFormat>(frame->format);
      scaler_ = sws_getCachedContext(scaler_, frame->width, frame->height, format, frame->width,
                                     frame->height, AV_PIX_FMT_RGB24,
                                     SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                                     nullptr, nullptr);
      if (!scaler_) {
        const char* name = av_get_pix_fmt_name(format);
        throw Error(path_ + ": cannot convert pixel format " + (name ? name : "unknown") +
                    " to RGB");
      }
      const AVPixFmtDescriptor* descriptor = av_pix_fmt_desc_get(format);
      if (descriptor && !(descriptor->flags & AV_PIX_FMT_FLAG_RGB)) {
        // Colour matrix and range come from the stream; sws would assume BT.601 limited.
        const int* matrix = sws_getCoefficients(sws_colorspace(frame->colorspace));
        const int full_range = frame->color_range == AVCOL_RANGE_JPEG ||
                               format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P ||
                               format == AV_PIX_FMT_YUVJ444P;
        sws_setColorspaceDetails(scaler_, matrix, full_range, matrix, 1, 0, 1 << 16, 1 << 16);
      }
      converted_.resize(full_bytes);
      std::uint8_t* planes[4] = {converted_.data(), nullptr, nullptr, nullptr};
      int strides[4] = {frame->width * 3, 0, 0, 0};
      sws_scale(scaler_, frame->data, frame->linesize, 0, frame->height, planes, strides);
    }
    for (int y = 0; y < height; ++y) {
      const std::uint8_t* row = converted_.data() + std::size_t(y) * frame->width * 3;
      rgb.insert(rgb.end(), row, row + std::size_t(width) * 3);
    }
  }

  ~FrameConverter() { sws_freeContext(scaler_); }

 private:
  std::string path_;
  SwsContext* scaler_ = nullptr;
  std::vector<std::uint8_t> converted_;
};

// The size a writer padded away (tag linvideo_frame_size=WxH), if it fits inside the coded size.
void apply_recorded_size(const VideoMetadata& metadata, int coded_width, int coded_height,
                         int& width, int& height) {
  width = coded_width;
  height = coded_height;
  const auto found = metadata.tags.find("linvideo_frame_size");
  if (found == metadata.tags.end()) return;
  int w = 0, h = 0;
  char tail = 0;
  if (std::sscanf(found->second.c_str(), "%dx%d%c", &w, &h, &tail) == 2 && w >= 1 && h >= 1 &&
      w <= coded_width && h <= coded_height) {
    width = w;
    height = h;
  }
}

}  // namespace

VideoFile read(const std::string& path, bool decode_frames, bool png_pattern) {
  quiet_ffmpeg_logs();
  AVFormatContext* raw_input = nullptr;
  AVDictionary* input_options = nullptr;
  const AVInputFormat* input_format = nullptr;
  if (png_pattern) {
    input_format = av_find_input_format("image2");
    av_dict_set(&input_options, "framerate", "16", 0);
  }
  int rc = avformat_open_input(&raw_input, path.c_str(), input_format, &input_options);
  av_dict_free(&input_options);
  if (rc < 0) throw Error(path + ": cannot open as a video: " + error_text(rc));
  InputPtr input(raw_input);
  rc = avformat_find_stream_info(input.get(), nullptr);
  if (rc < 0) throw Error(path + ": not a readable video: " + error_text(rc));

  const AVCodec* decoder = nullptr;
  const int stream_index =
      av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (stream_index < 0) {
    throw Error(path + (stream_index == AVERROR_DECODER_NOT_FOUND
                            ? ": no decoder for its video stream"
                            : ": holds no video stream"));
  }
  const AVStream* stream = input->streams[stream_index];

  VideoFile file;
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(input->metadata, "", entry, AV_DICT_IGNORE_SUFFIX))) {
    file.metadata.tags[lower(entry->key)] = entry->value;
  }
  VideoFrames& frames = file.frames;
  AVRational rate = stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream->r_frame_rate;
  frames.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 16.0;
  const int coded_width = stream->codecpar->width, coded_height = stream->codecpar->height;
  if (coded_width < 1 || coded_height < 1 || coded_width > kMaxVideoSide ||
      coded_height > kMaxVideoSide) {
    throw Error(path + ": video size " + std::to_string(coded_width) + "x" +
                std::to_string(coded_height) + " is outside 1.." + std::to_string(kMaxVideoSide));
  }
  apply_recorded_size(file.metadata, coded_width, coded_height, frames.width, frames.height);
  if (!decode_frames) {
    frames.count =
        stream->nb_frames > 0 && stream->nb_frames < (1 << 30) ? int(stream->nb_frames) : 0;
    return file;
  }

  CodecContextPtr codec(avcodec_alloc_context3(decoder));
  if (!codec) throw Error(path + ": out of memory allocating the decoder");
  rc = avcodec_parameters_to_context(codec.get(), stream->codecpar);
  if (rc < 0) throw Error(path + ": bad stream parameters: " + error_text(rc));
  rc = avcodec_open2(codec.get(), decoder, nullptr);
  if (rc < 0)
    throw Error(path + ": cannot open the " + decoder->name + " decoder: " + error_text(rc));

  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!packet || !frame) throw Error(path + ": out of memory");
  FrameConverter converter(path);
  auto receive_all = [&] {
    while (true) {
      const int receive_rc = avcodec_receive_frame(codec.get(), frame.get());
      if (receive_rc == AVERROR(EAGAIN) || receive_rc == AVERROR_EOF) return;
      if (receive_rc < 0) throw Error(path + ": decoding failed: " + error_text(receive_rc));
      if (frame->width != coded_width || frame->height != coded_height) {
        throw Error(path + ": frame " + std::to_string(frames.count) + " changes size to " +
                    std::to_string(frame->width) + "x" + std::to_string(frame->height));
      }
      converter.append(frame.get(), frames.width, frames.height, frames.rgb);
      ++frames.count;
      av_frame_unref(frame.get());
    }
  };
  while ((rc = av_read_frame(input.get(), packet.get())) >= 0) {
    if (packet->stream_index == stream_index) {
      const int send_rc = avcodec_send_packet(codec.get(), packet.get());
      av_packet_unref(packet.get());
      if (send_rc < 0 && send_rc != AVERROR(EAGAIN)) {
        throw Error(path + ": corrupt video data at frame " + std::to_string(frames.count) + ": " +
                    error_text(send_rc));
      }
      receive_all();
    } else {
      av_packet_unref(packet.get());
    }
  }
  if (rc != AVERROR_EOF) throw Error(path + ": read failed: " + error_text(rc));
  avcodec_send_packet(codec.get(), nullptr);
  receive_all();
  if (frames.count == 0) throw Error(path + ": holds no decodable frames");
  return file;
}

}  // namespace linvideo::media::ffmpeg
