// What pynn/page/settings.py tells the page (config.json, written by build.py): the training
// form's fields, model names, sizes, the upload cap. Fetched once per context (page, worker).

async function load() {
  const response = await fetch(new URL("../config.json", import.meta.url));
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return response.json();
}

export const CONFIG = Object.freeze(await load());
