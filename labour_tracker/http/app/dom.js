// Building the page from data with text nodes only: nothing the service answers is read as markup.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function show(id, visible) {
  $(id).hidden = !visible;
}

export function problem(message) {
  const box = $("problem");
  box.textContent = message || "";
  box.hidden = !message;
}
