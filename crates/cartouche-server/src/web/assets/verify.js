// The officer page's script. The page works without it (upload and paste are plain
// forms, the verdict is rendered on the server); it adds:
// - camera scanning: frames go to POST /api/v1/scan (the server's QR decoder), and a
//   decoded code opens the server-rendered verdict /v/{token};
// - the officer token (kept in this tab's sessionStorage only) and, on a verdict, the
//   buttons that record an exit or a return through the JSON API.
(function () {
  'use strict';

  const lang = document.body.dataset.lang || 'en';
  const TOKEN_KEY = 'cartouche.officer';
  let texts = {};

  function t(key) {
    return texts[key] || key;
  }

  async function loadTexts() {
    try {
      const response = await fetch(`/assets/i18n/${lang}.json`);
      if (response.ok) texts = await response.json();
    } catch (_) {
      // Keys stay visible; the page still works.
    }
  }

  function officerToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  async function apiError(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) {
      // not JSON
    }
    return `HTTP ${response.status}`;
  }

  // ---------------------------------------------------------------- camera

  const FRAME_INTERVAL_MS = 400;
  const MAX_FRAME_WIDTH = 960;

  function setupScanner() {
    const section = document.getElementById('scan');
    if (!section) return;
    const hint = document.getElementById('scan-needs-js');
    const scanner = section.querySelector('.scanner');
    const video = document.getElementById('scan-video');
    const start = document.getElementById('scan-start');
    const stop = document.getElementById('scan-stop');
    const status = document.getElementById('scan-status');
    if (hint) hint.hidden = true;
    scanner.hidden = false;
    video.hidden = true; // shown while the camera runs
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = t("verify.scan.no_camera");
      start.disabled = true;
      return;
    }
    let stream = null;
    let timer = null;
    let busy = false;
    const canvas = document.createElement('canvas');

    function halt() {
      if (timer) clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.srcObject = null;
      video.hidden = true;
      start.hidden = false;
      stop.hidden = true;
    }

    async function frame() {
      if (busy || !stream || video.readyState < 2 || !video.videoWidth) return;
      busy = true;
      try {
        const scale = Math.min(1, MAX_FRAME_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
        if (!blob || !stream) return;
        const response = await fetch('/api/v1/scan', {
          method: 'POST',
          headers: { 'Content-Type': 'image/jpeg' },
          body: blob,
        });
        if (response.ok) {
          const body = await response.json();
          status.textContent = t("verify.scan.found");
          halt();
          window.location.assign(verdictUrl(body.qr));
          return;
        }
        if (response.status === 422) return; // no QR code in this frame yet
        status.textContent = await apiError(response);
        if (response.status !== 429) halt();
      } catch (error) {
        status.textContent = String(error);
        halt();
      } finally {
        busy = false;
      }
    }

    async function begin() {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
          audio: false,
        });
      } catch (_) {
        status.textContent = t("verify.scan.no_camera");
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      await video.play().catch(() => {});
      start.hidden = true;
      stop.hidden = false;
      status.textContent = t("verify.scan.looking");
      timer = setInterval(frame, FRAME_INTERVAL_MS);
    }

    start.addEventListener('click', begin);
    stop.addEventListener('click', halt);
    window.addEventListener('pagehide', halt);
    if (new URLSearchParams(window.location.search).get('scan') === '1') begin();
  }

  // The verdict page for a decoded QR text, with this page's options.
  function verdictUrl(qr) {
    const text = String(qr).trim();
    const at = text.lastIndexOf('/v/');
    const token = at >= 0 ? text.slice(at + 3).split(/[?#]/)[0] : text;
    const params = new URLSearchParams({ lang });
    const checkpoint = document.getElementById('paste-checkpoint');
    if (checkpoint && checkpoint.value.trim()) params.set('checkpoint_country', checkpoint.value.trim().toUpperCase());
    const importCheck = document.querySelector('#paste-qr ~ details .import-check');
    if (importCheck && importCheck.checked) params.set('import_check', '1');
    return `/v/${encodeURIComponent(token)}?${params}`;
  }

  // ---------------------------------------------------------------- officer token

  function setupOfficerToken() {
    const section = document.getElementById('officer');
    if (!section) return;
    section.hidden = false;
    const form = document.getElementById('officer-form');
    const input = document.getElementById('officer-token');
    const forget = document.getElementById('officer-forget');
    const state = document.getElementById('officer-state');
    function show() {
      const set = officerToken() !== '';
      forget.hidden = !set;
      input.value = '';
      state.textContent = set ? t("officer.signed_in") : '';
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      try {
        sessionStorage.setItem(TOKEN_KEY, value);
      } catch (_) {
        // storage refused (private mode): the token is not kept
      }
      show();
    });
    forget.addEventListener('click', () => {
      try {
        sessionStorage.removeItem(TOKEN_KEY);
      } catch (_) {
        // nothing kept
      }
      show();
    });
    show();
  }

  // ---------------------------------------------------------------- exit / return

  function setupOfficerActions() {
    const section = document.getElementById('officer-actions');
    if (!section) return;
    const token = officerToken();
    const hint = document.getElementById('officer-hint');
    if (!token) {
      if (hint) hint.hidden = false;
      return;
    }
    section.hidden = false;
    const number = section.dataset.number;
    const form = document.getElementById('event-form');
    const office = document.getElementById('event-office');
    const declaration = document.getElementById('event-declaration');
    const result = document.getElementById('event-result');
    try {
      office.value = localStorage.getItem('cartouche.office') || '';
    } catch (_) {
      // no remembered office
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const kind = event.submitter && event.submitter.value === 'returned' ? 'returned' : 'exited';
      if (!office.reportValidity()) return;
      const body = { kind, office: office.value.trim() };
      if (declaration.value.trim()) body.declaration_ref = declaration.value.trim();
      const buttons = form.querySelectorAll('button');
      buttons.forEach((button) => (button.disabled = true));
      result.textContent = '';
      try {
        const response = await fetch(`/api/v1/certificates/${encodeURIComponent(number)}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${officerToken()}` },
          body: JSON.stringify(body),
        });
        if (!response.ok) {
          result.textContent = await apiError(response);
          result.classList.add('error');
          return;
        }
        try {
          localStorage.setItem('cartouche.office', body.office);
        } catch (_) {
          // not remembered
        }
        result.classList.remove('error');
        result.textContent = t("officer.recorded");
        // The history and the status come from the server: show them fresh.
        window.location.reload();
      } catch (error) {
        result.textContent = String(error);
      } finally {
        buttons.forEach((button) => (button.disabled = false));
      }
    });
  }

  loadTexts().then(() => {
    setupScanner();
    setupOfficerToken();
    setupOfficerActions();
  });
})();
