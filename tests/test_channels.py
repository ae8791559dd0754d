"""Channels: picking or mixing a microphone channel, spreading speech to the speaker, clipping and DC checks."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.audio.channels import ChannelPicker, MicCheck, spread, to_int16


def _frames() -> np.ndarray:
    return np.array([[100, -100, 7, 1], [200, 0, 7, 1], [-300, 300, 7, 1]], np.int16)


def test_one_channel_of_an_array_reaches_the_pipeline() -> None:
    picker = ChannelPicker(4, 1)
    assert picker.mono(_frames()).tolist() == [-100, 0, 300]
    assert picker.used(_frames()).tolist() == [-100, 0, 300]


def test_minus_one_mixes_all_channels() -> None:
    picker = ChannelPicker(4, -1)
    assert np.allclose(picker.mono(_frames()), [2.0, 52.0, 2.0])


def test_a_channel_the_device_does_not_have_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"audio.input_channel = 2.*2 channels \(0 to 1\).*-1 to mix"):
        ChannelPicker(2, 2)


def test_mono_speech_goes_to_every_speaker_channel() -> None:
    frames = spread(np.array([1, -2, 3], np.int16), 2)
    assert frames.shape == (3, 2) and frames.dtype == np.int16
    assert frames.tolist() == [[1, 1], [-2, -2], [3, 3]]
    assert spread(np.array([5], np.int16), 1).tolist() == [[5]]  # a mono-only speaker


def test_overshoot_is_clipped_not_wrapped() -> None:
    assert to_int16(np.array([40000.0, -40000.0, 1.4, -1.6])).tolist() == [32767, -32768, 1, -2]


def test_clipping_and_dc_offset_are_counted() -> None:
    check = MicCheck()
    check.update(np.array([0, 32767, -32768, 32766], np.int16))
    assert check.clipped == 2
    for _ in range(200):
        check.update(np.full(160, 1600, np.int16))  # ~4.9% of full scale
    assert check.dc_offset == pytest.approx(1600 / 32768, rel=0.01)
    assert check.dc_too_high
    quiet = MicCheck()
    quiet.update(np.array([-3, 3, -2, 2], np.int16))
    assert not quiet.dc_too_high and quiet.clipped == 0
