// MP4 (H.264) and MKV (FFV1) muxing and PNG sequences through libavcodec/libavformat.
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "core/media/atomic_output.h"
#include "core/media/ffmpeg_util.h"
#include "core/media/ffmpeg_video.h"
#include "core/media/frame_pattern.h"

extern "C" {
#include <libavutil/log.h>
#include <libavutil/opt.h>
}

namespace linvideo::media::ffmpeg {

void quiet_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_FATAL);
  });
}

namespace {

// Copies one RGB8 frame into `frame` (already allocated at the padded size), replicating the last
// column/row into the padding.
void fill_padded_rgb(const std::uint8_t* rgb, int width, int height, AVFrame* frame) {
  for (int y = 0; y < frame->height; ++y) {
    const std::uint8_t* src = rgb + std::size_t(std::min(y, height - 1)) * width * 3;
    std::uint8_t* dst = frame->data[0] + std::size_t(y) * frame->linesize[0];
    std::copy(src, src + std::size_t(width) * 3, dst);
    for (int x = width; x < frame->width; ++x)
      std::copy(dst + (width - 1) * 3, dst + width * 3, dst + x * 3);
  }
}

// RGB8 -> 0RGB32 (one native-endian uint32 per pixel: FFV1's 8-bit lossless RGB layout in
// FFmpeg 5), written as integers so the result is exact on either byte order.
void fill_0rgb32(const std::uint8_t* rgb, int width, int height, AVFrame* frame) {
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* src = rgb + std::size_t(y) * width * 3;
    std::uint8_t* dst = frame->data[0] + std::size_t(y) * frame->linesize[0];
    for (int x = 0; x < width; ++x) {
      const std::uint32_t pixel =
          (std::uint32_t(src[3 * x]) << 16) | (std::uint32_t(src[3 * x + 1]) << 8) | src[3 * x + 2];
      std::memcpy(dst + 4 * x, &pixel, 4);
    }
  }
}

FramePtr allocate_frame(int width, int height, AVPixelFormat format, const std::string& path) {
  FramePtr frame(av_frame_alloc());
  if (!frame) throw Error(path + ": out of memory allocating a frame");
  frame->format = format;
  frame->width = width;
  frame->height = height;
  const int rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0) throw Error(path + ": cannot allocate a frame: " + error_text(rc));
  return frame;
}

// Sends `frame` (nullptr flushes) and hands every packet that comes out to `sink`.
template <typename Sink>
void encode(AVCodecContext* codec, const AVFrame* frame, AVPacket* packet, const std::string& path,
            Sink&& sink) {
  int rc = avcodec_send_frame(codec, frame);
  if (rc < 0) throw Error(path + ": encoding failed: " + error_text(rc));
  while (true) {
    rc = avcodec_receive_packet(codec, packet);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    if (rc < 0) throw Error(path + ": encoding failed: " + error_text(rc));
    sink(packet);
    av_packet_unref(packet);
  }
}

void report_progress(const VideoWriteOptions& options, int done, int total,
                     const std::string& path) {
  if (options.progress && !options.progress(done, total)) throw Error(path + ": write cancelled");
}

}  // namespace

void write_container(const std::string& file_path, const std::string& path, VideoFormat format,
                     const VideoFrames& frames, const VideoWriteOptions& options) {
  quiet_ffmpeg_logs();
  const bool h264 = format == VideoFormat::Mp4H264;
  const AVCodec* encoder =
      h264 ? avcodec_find_encoder_by_name("libx264") : avcodec_find_encoder(AV_CODEC_ID_FFV1);
  if (!encoder) {
    throw Error(path + ": this FFmpeg has no " + (h264 ? "libx264" : "FFV1") + " encoder");
  }
  // yuv420p halves chroma in both directions, so H.264 needs even sides: pad by one replicated
  // row/column and record the true size for readers to crop.
  const int coded_width = h264 ? (frames.width + 1) / 2 * 2 : frames.width;
  const int coded_height = h264 ? (frames.height + 1) / 2 * 2 : frames.height;

  AVFormatContext* raw_output = nullptr;
  int rc = avformat_alloc_output_context2(&raw_output, nullptr, h264 ? "mp4" : "matroska",
                                          file_path.c_str());
  if (rc < 0 || !raw_output) throw Error(path + ": cannot create the muxer: " + error_text(rc));
  OutputPtr output(raw_output);

  CodecContextPtr codec(avcodec_alloc_context3(encoder));
  if (!codec) throw Error(path + ": out of memory allocating the encoder");
  const AVRational rate = av_d2q(frames.fps, 1001000);
  codec->width = coded_width;
  codec->height = coded_height;
  codec->time_base = av_inv_q(rate);
  codec->framerate = rate;
  codec->sample_aspect_ratio = AVRational{1, 1};
  if (h264) {
    codec->pix_fmt = AV_PIX_FMT_YUV420P;
    codec->colorspace = AVCOL_SPC_BT709;
    codec->color_primaries = AVCOL_PRI_BT709;
    codec->color_trc = AVCOL_TRC_BT709;
    codec->color_range = AVCOL_RANGE_MPEG;
    if (av_opt_set(codec->priv_data, "preset", options.preset.c_str(), 0) < 0) {
      throw Error(path + ": invalid x264 preset '" + options.preset + "'");
    }
    av_opt_set(codec->priv_data, "crf", std::to_string(options.crf).c_str(), 0);
  } else {
    codec->pix_fmt = AV_PIX_FMT_0RGB32;
    codec->level = 3;     // FFV1 version 3: per-slice CRCs, multithreaded slices
    codec->gop_size = 1;  // every frame a keyframe: seeking in previews is free
    av_opt_set(codec->priv_data, "slicecrc", "1", 0);
  }
  if (output->oformat->flags & AVFMT_GLOBALHEADER) codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  rc = avcodec_open2(codec.get(), encoder, nullptr);
  if (rc < 0) {
    throw Error(path + ": cannot open the " + encoder->name + " encoder (preset '" +
                options.preset + "'): " + error_text(rc));
  }

  AVStream* stream = avformat_new_stream(output.get(), nullptr);
  if (!stream) throw Error(path + ": cannot add a video stream");
  rc = avcodec_parameters_from_context(stream->codecpar, codec.get());
  if (rc < 0) throw Error(path + ": cannot set stream parameters: " + error_text(rc));
  stream->time_base = codec->time_base;
  stream->avg_frame_rate = rate;
  for (const auto& [key, value] : options.metadata.tags) {
    av_dict_set(&output->metadata, key.c_str(), value.c_str(), 0);
  }
  if (coded_width != frames.width || coded_height != frames.height) {
    const std::string size = std::to_string(frames.width) + "x" + std::to_string(frames.height);
    av_dict_set(&output->metadata, "linvideo_frame_size", size.c_str(), 0);
  }

  rc = avio_open(&output->pb, file_path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) throw Error(path + ": cannot create file: " + error_text(rc));
  AVDictionary* muxer_options = nullptr;
  // Without this the MP4 muxer keeps only the iTunes keys it knows and drops ours.
  if (h264) av_dict_set(&muxer_options, "movflags", "use_metadata_tags", 0);
  rc = avformat_write_header(output.get(), &muxer_options);
  av_dict_free(&muxer_options);
  if (rc < 0) throw Error(path + ": cannot write the header: " + error_text(rc));

  FramePtr rgb_frame =
      h264 ? allocate_frame(coded_width, coded_height, AV_PIX_FMT_RGB24, path) : nullptr;
  FramePtr frame = allocate_frame(coded_width, coded_height, codec->pix_fmt, path);
  ScalerPtr scaler;
  if (h264) {
    scaler.reset(sws_getContext(
        coded_width, coded_height, AV_PIX_FMT_RGB24, coded_width, coded_height, AV_PIX_FMT_YUV420P,
        SWS_AREA | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
    if (!scaler) throw Error(path + ": cannot create the RGB to YUV converter");
    const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(scaler.get(), bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
  }
  PacketPtr packet(av_packet_alloc());
  if (!packet) throw Error(path + ": out of memory allocating a packet");
  auto write_packet = [&](AVPacket* p) {
    av_packet_rescale_ts(p, codec->time_base, stream->time_base);
    p->stream_index = stream->index;
    const int write_rc = av_interleaved_write_frame(output.get(), p);
    if (write_rc < 0) throw Error(path + ": write failed: " + error_text(write_rc));
  };

  for (int i = 0; i < frames.count; ++i) {
    rc = av_frame_make_writable(frame.get());
    if (rc < 0) throw Error(path + ": cannot reuse a frame: " + error_text(rc));
    if (h264) {
      fill_padded_rgb(frames.frame(i), frames.width, frames.height, rgb_frame.get());
      sws_scale(scaler.get(), rgb_frame->data, rgb_frame->linesize, 0, coded_height, frame->data,
                frame->linesize);
    } else {
      fill_0rgb32(frames.frame(i), frames.width, frames.height, frame.get());
    }
    frame->pts = i;
    encode(codec.get(), frame.get(), packet.get(), path, write_packet);
    report_progress(options, i + 1, frames.count, path);
  }
  encode(codec.get(), nullptr, packet.get(), path, write_packet);
  rc = av_write_trailer(output.get());
  if (rc < 0) throw Error(path + ": cannot finish the file: " + error_text(rc));
  rc = avio_closep(&output->pb);
  if (rc < 0) throw Error(path + ": write failed: " + error_text(rc));
}

void write_png_frames(const std::string& pattern, const VideoFrames& frames,
                      const VideoWriteOptions& options) {
  quiet_ffmpeg_logs();
  const AVCodec* encoder = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!encoder) throw Error(pattern + ": this FFmpeg has no PNG encoder");
  CodecContextPtr codec(avcodec_alloc_context3(encoder));
  if (!codec) throw Error(pattern + ": out of memory allocating the encoder");
  codec->width = frames.width;
  codec->height = frames.height;
  codec->pix_fmt = AV_PIX_FMT_RGB24;
  codec->time_base = av_inv_q(av_d2q(frames.fps, 1001000));
  int rc = avcodec_open2(codec.get(), encoder, nullptr);
  if (rc < 0) throw Error(pattern + ": cannot open the PNG encoder: " + error_text(rc));

  FramePtr frame = allocate_frame(frames.width, frames.height, AV_PIX_FMT_RGB24, pattern);
  PacketPtr packet(av_packet_alloc());
  if (!packet) throw Error(pattern + ": out of memory allocating a packet");
  std::vector<AtomicOutput> outputs;
  outputs.reserve(frames.count);
  for (int i = 0; i < frames.count; ++i) {
    outputs.emplace_back(frame_file_name(pattern, i));
    const AtomicOutput& out = outputs.back();
    rc = av_frame_make_writable(frame.get());
    if (rc < 0) throw Error(pattern + ": cannot reuse a frame: " + error_text(rc));
    fill_padded_rgb(frames.frame(i), frames.width, frames.height, frame.get());
    frame->pts = i;
    int packets = 0;
    encode(codec.get(), frame.get(), packet.get(), out.path(), [&](AVPacket* p) {
      std::FILE* file = std::fopen(out.temp_path().c_str(), "wb");
      if (!file) throw Error(out.path() + ": cannot create file");
      const bool written =
          std::fwrite(p->data, 1, std::size_t(p->size), file) == std::size_t(p->size);
      if (std::fclose(file) != 0 || !written) throw Error(out.path() + ": write failed");
      ++packets;
    });
    if (packets != 1) throw Error(out.path() + ": the PNG encoder returned no image");
    report_progress(options, i + 1, frames.count, pattern);
  }
  for (AtomicOutput& out : outputs) out.commit();
}

}  // namespace linvideo::media::ffmpeg
