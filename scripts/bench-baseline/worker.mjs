// The benchmark's baseline: a worker that only returns 200, run by the same workerd as adgate.
export default {
  async fetch() {
    return new Response("ok");
  },
};
